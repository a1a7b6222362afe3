// Delivery latency and throughput, for the app and for the floor. Every
// client runs in this process, so send and receive times come from one
// clock (`performance.now()`).
import WebSocket from "ws";
import { createGroup, openSocket, signUpMany, uuidv7 } from "./app-client.mjs";
import { sleep } from "./server.mjs";
import { summarize } from "./stats.mjs";

/** Longest wait for one message to reach every receiver. */
const DELIVERY_TIMEOUT_MS = 15_000;
/** Pause between two measured messages, so runs do not overlap. */
const GAP_MS = 20;

/**
 * @typedef {{ send: (id: string) => void,
 *   onDelivery: (handler: (id: string, at: number) => void) => void,
 *   receivers: number, close: () => void }} Room
 */

/**
 * Sends `messages` messages one after the other through `room`, each after
 * the previous one reached every receiver, and returns the send-to-receive
 * times in milliseconds, one per receiver and message.
 *
 * @param {Room} room @param {number} messages
 */
export async function measureLatency(room, messages) {
  /** @type {number[]} */
  const samples = [];
  /** @type {Map<string, number>} */
  const sentAt = new Map();
  let pending = 0;
  /** @type {() => void} */
  let allArrived = () => {};
  room.onDelivery((id, at) => {
    const start = sentAt.get(id);
    if (start === undefined) return;
    samples.push(at - start);
    pending--;
    if (pending === 0) allArrived();
  });
  let lost = 0;
  for (let i = 0; i < messages; i++) {
    const id = uuidv7();
    pending = room.receivers;
    const arrived = new Promise((resolve) => {
      allArrived = () => resolve(true);
    });
    sentAt.set(id, performance.now());
    room.send(id);
    const ok = await Promise.race([arrived, sleep(DELIVERY_TIMEOUT_MS)]);
    if (ok !== true) lost += pending;
    sentAt.delete(id);
    await sleep(GAP_MS);
  }
  return { ...summarize(samples), lost };
}

/**
 * Opens `members` sockets in one room of the floor; the first one sends.
 *
 * @param {string} origin @param {number} members @returns {Promise<Room>}
 */
export async function floorRoom(origin, members) {
  const name = `room-${members}-${Math.random().toString(36).slice(2)}`;
  const url = `${origin.replace(/^http/, "ws")}/ws?room=${name}`;
  /** @type {(id: string, at: number) => void} */
  let handler = () => {};
  /** @type {WebSocket[]} */
  const sockets = [];
  for (let i = 0; i < members; i += 64) {
    const batch = Array.from({ length: Math.min(64, members - i) }, () => {
      const socket = new WebSocket(url);
      socket.on("message", (data) => {
        const at = performance.now();
        handler(JSON.parse(data.toString()).id, at);
      });
      return new Promise((resolve, reject) => {
        socket.once("open", () => resolve(socket));
        socket.once("error", reject);
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  const [sender] = sockets;
  return {
    send: (id) =>
      sender.send(JSON.stringify({ id, body: '{"v":1,"text":"hi"}' })),
    onDelivery: (h) => {
      handler = h;
    },
    receivers: members - 1,
    close: () => sockets.forEach((s) => s.close()),
  };
}

/**
 * Signs up `members` people, puts them in one chat (a direct chat for two,
 * a group otherwise) and opens one device socket each; the first person
 * sends. Receivers count `message` frames from the other people.
 *
 * @param {string} origin @param {number} members @param {number} firstPhone
 * @returns {Promise<Room & { chatId: string }>}
 */
export async function appRoom(origin, members, firstPhone) {
  const people = await signUpMany(origin, members, firstPhone);
  const chatId =
    members === 2
      ? await directChat(origin, people[0], people[1])
      : await createGroup(origin, people);
  /** @type {(id: string, at: number) => void} */
  let handler = () => {};
  const senderId = people[0].userId;
  /** @type {WebSocket[]} */
  const sockets = [];
  for (let i = 0; i < members; i += 32) {
    const batch = people.slice(i, i + 32).map((person) =>
      openSocket(origin, person, (frame, at) => {
        if (frame.type !== "message") return;
        if (person.userId === senderId) return;
        handler(frame.message.id, at);
      }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  const [sender] = sockets;
  return {
    chatId,
    send: (id) =>
      sender.send(
        JSON.stringify({
          type: "send",
          chatId,
          message: { id, kind: "message", body: '{"v":1,"text":"hi"}' },
        }),
      ),
    onDelivery: (h) => {
      handler = h;
    },
    receivers: members - 1,
    close: () => sockets.forEach((s) => s.close()),
  };
}

/**
 * Opens the direct chat of `a` and `b`.
 *
 * @param {string} origin
 * @param {import("./app-client.mjs").Person} a
 * @param {import("./app-client.mjs").Person} b
 */
async function directChat(origin, a, b) {
  const { api } = await import("./app-client.mjs");
  const opened = await api(origin, "POST", "/api/chats/direct", {
    body: { userId: b.userId },
    cookie: a.cookie,
  });
  return opened.json.chat.id;
}
