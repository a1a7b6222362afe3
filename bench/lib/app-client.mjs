// A minimal client of the app's HTTP API and WebSocket, enough to sign
// people up through the development SMS outbox, make chats and send.
import WebSocket from "ws";

/** @typedef {{ userId: string, cookie: string, phone: string, address: string }} Person */

let nextAddress = 1;

/**
 * Returns a new client address for `CF-Connecting-IP`. Each person signs up
 * from their own address, so the per-address code limits (20 requests and
 * 60 checks per hour) never trip.
 */
function newAddress() {
  const n = nextAddress++;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Attempts of one request that failed with 503. */
const RETRIES = 5;

/**
 * Sends one JSON request and returns the parsed body; throws on a non-2xx.
 *
 * @param {string} origin @param {string} method @param {string} path
 * @param {{ body?: unknown, cookie?: string, address?: string }} options
 */
export async function api(
  origin,
  method,
  path,
  { body, cookie, address } = {},
) {
  /** @type {Record<string, string>} */
  const headers = { "Content-Type": "application/json" };
  if (cookie) headers.Cookie = cookie;
  if (address) headers["CF-Connecting-IP"] = address;
  let response;
  let text;
  for (let attempt = 1; ; attempt++) {
    response = await fetch(origin + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    text = await response.text();
    // wrangler dev reloads the Worker when watched files change (a new
    // build in dist/, for example) and then fails requests in flight with
    // 503, so those are retried.
    if (response.status !== 503 || attempt === RETRIES) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (!response.ok) {
    throw new Error(`${method} ${path} failed: ${response.status} ${text}`);
  }
  return { json: text ? JSON.parse(text) : null, response };
}

/**
 * Signs up the person with phone number `index` and returns their session.
 * Each call to this function with the same `index` adds another device.
 *
 * @param {string} origin @param {number} index
 * @returns {Promise<Person>}
 */
export async function signUp(origin, index) {
  const phone = `+4930${String(10_000_000 + index)}`;
  const address = newAddress();
  await api(origin, "POST", "/api/auth/code", { body: { phone }, address });
  const sms = await api(
    origin,
    "GET",
    `/api/dev/sms?phone=${encodeURIComponent(phone)}`,
  );
  const last = sms.json.messages[sms.json.messages.length - 1];
  const code = /\b(\d{6})\b/.exec(last.body)?.[1];
  if (!code) throw new Error(`no code in the SMS outbox for ${phone}`);
  const verified = await api(origin, "POST", "/api/auth/verify", {
    body: { phone, code, deviceName: "bench" },
    address,
  });
  const setCookie = verified.response.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0];
  return { userId: verified.json.me.id, cookie, phone, address };
}

/**
 * Signs up `count` people, `parallel` at a time.
 *
 * @param {string} origin @param {number} count @param {number} first
 * @returns {Promise<Person[]>}
 */
export async function signUpMany(origin, count, first, parallel = 8) {
  /** @type {Person[]} */
  const people = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      people[i] = await signUp(origin, first + i);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return people;
}

/** Group members added per request; keeps each request's fan-out short. */
const MEMBER_BATCH = 100;

/**
 * Creates a group of `members` (the first is the creator and admin), adding
 * people in batches of 100.
 *
 * @param {string} origin @param {Person[]} members
 * @returns {Promise<string>} the chat id
 */
export async function createGroup(origin, members) {
  const [creator, ...rest] = members;
  const created = await api(origin, "POST", "/api/chats/group", {
    body: {
      name: `bench ${members.length}`,
      memberIds: rest.slice(0, MEMBER_BATCH).map((p) => p.userId),
    },
    cookie: creator.cookie,
  });
  const chatId = created.json.chat.id;
  for (let i = MEMBER_BATCH; i < rest.length; i += MEMBER_BATCH) {
    await api(origin, "POST", `/api/chats/${chatId}/members`, {
      body: { userIds: rest.slice(i, i + MEMBER_BATCH).map((p) => p.userId) },
      cookie: creator.cookie,
    });
  }
  return chatId;
}

/**
 * Opens the device socket of `person` and resolves on its `ready` frame.
 * `onFrame` receives every later frame with the time it arrived and its size
 * in bytes.
 *
 * @param {string} origin @param {Person} person
 * @param {(frame: any, at: number, size: number) => void} onFrame
 * @returns {Promise<WebSocket>}
 */
export function openSocket(origin, person, onFrame) {
  const url = origin.replace(/^http/, "ws") + "/api/ws";
  const socket = new WebSocket(url, { headers: { Cookie: person.cookie } });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (data) => {
      const at = performance.now();
      const text = data.toString();
      const frame = JSON.parse(text);
      if (frame.type === "ready") resolve(socket);
      else onFrame(frame, at, Buffer.byteLength(text));
    });
  });
}

/**
 * Returns a UUIDv7 string, as the protocol expects for message ids.
 */
export function uuidv7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++)
    bytes[i] = Number((ms >> BigInt(40 - 8 * i)) & 255n);
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
