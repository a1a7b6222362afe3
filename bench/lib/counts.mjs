// Billed units per message, counted by the app itself: Durable Object
// invocations by handler and SQLite rows written, read from the
// development-only GET /api/dev/counters (worker/dev-counters.ts).
import {
  api,
  createGroup,
  openSocket,
  signUpMany,
  uuidv7,
} from "./app-client.mjs";
import { sleep } from "./server.mjs";

/** Maximum wait for the deliveries and receipts of one message. */
const MESSAGE_TIMEOUT_MS = 15_000;
/**
 * Time left after the last receipt for batched receipt calls to finish.
 * The room delays them by RECEIPT_COALESCE_MS, 50 ms.
 */
const SETTLE_MS = 500;

/**
 * Cloudflare bills an incoming WebSocket message as 1/20 of a request
 * (Durable Objects pricing, since 2024-04-01).
 */
const WEBSOCKET_MESSAGE_SHARE = 1 / 20;

/**
 * @typedef {{ invocations: Record<string, number>,
 *   rowsWritten: Record<string, number> }} Counts
 */

/** @param {string} origin @returns {Promise<Counts>} */
export async function resetCounts(origin) {
  return (await api(origin, "DELETE", "/api/dev/counters")).json;
}

/** @param {string} origin @returns {Promise<Counts>} */
export async function readCounts(origin) {
  return (await api(origin, "GET", "/api/dev/counters")).json;
}

/**
 * Returns billed requests, object invocations and rows written in
 * `counts`, leaving out `requestsToLeaveOut` Worker requests (the ones
 * that read or reset the counters).
 *
 * @param {Counts} counts @param {number} requestsToLeaveOut
 */
export function billedUnits(counts, requestsToLeaveOut) {
  let requests = 0;
  let invocations = 0;
  for (const [name, count] of Object.entries(counts.invocations)) {
    if (name === "Worker.fetch") {
      requests += count - requestsToLeaveOut;
      continue;
    }
    invocations += count;
    requests += name.endsWith(".webSocketMessage")
      ? count * WEBSOCKET_MESSAGE_SHARE
      : count;
  }
  const rows = Object.values(counts.rowsWritten).reduce((a, b) => a + b, 0);
  return { requests, invocations, rows };
}

/**
 * Sends `messages` messages in a chat of `members` people, one device each,
 * and returns the counts per message. As in the app, every receiver
 * reports `delivered` when the message arrives and `read` right after. The
 * next message leaves once the sender saw every receiver's read position.
 *
 * @param {string} origin @param {number} members @param {number} messages
 * @param {number} firstPhone
 */
export async function countPerMessage(origin, members, messages, firstPhone) {
  const people = await signUpMany(origin, members, firstPhone);
  const chatId =
    members === 2
      ? (
          await api(origin, "POST", "/api/chats/direct", {
            body: { userId: people[1].userId },
            cookie: people[0].cookie,
          })
        ).json.chat.id
      : await createGroup(origin, people);
  const senderId = people[0].userId;
  /** Sender's view: member id → highest read position reported. */
  const readBy = new Map();
  /** @type {() => void} */
  let wake = () => {};
  const sockets = [];
  for (let i = 0; i < members; i += 32) {
    const batch = people.slice(i, i + 32).map((person) => {
      /** @type {import("ws").WebSocket | undefined} */
      let socket;
      const opened = openSocket(origin, person, (frame) => {
        if (person.userId === senderId) {
          if (frame.type === "receipt" && frame.userId !== senderId) {
            readBy.set(frame.userId, frame.readSeq);
            wake();
          }
          return;
        }
        if (frame.type !== "message" || frame.message.senderId !== senderId) {
          return;
        }
        const seq = frame.message.seq;
        for (const kind of ["delivered", "read"]) {
          socket?.send(JSON.stringify({ type: "receipt", chatId, kind, seq }));
        }
      });
      return opened.then((ws) => (socket = ws));
    });
    sockets.push(...(await Promise.all(batch)));
  }
  const [sender] = sockets;
  await sleep(SETTLE_MS);
  await resetCounts(origin);
  let incomplete = 0;
  for (let i = 0; i < messages; i++) {
    const id = uuidv7();
    const acked = new Promise((resolve) => {
      sender.on("message", function onAck(data) {
        const frame = JSON.parse(data.toString());
        if (frame.type === "send.ok" && frame.id === id) {
          sender.off("message", onAck);
          resolve(frame.seq);
        }
      });
    });
    sender.send(
      JSON.stringify({
        type: "send",
        chatId,
        message: { id, kind: "message", body: '{"v":1,"text":"hi"}' },
      }),
    );
    const seq = await acked;
    const deadline = Date.now() + MESSAGE_TIMEOUT_MS;
    const allRead = () =>
      readBy.size === members - 1 &&
      [...readBy.values()].every((readSeq) => readSeq >= seq);
    while (!allRead() && Date.now() < deadline) {
      await Promise.race([
        new Promise((resolve) => (wake = () => resolve(undefined))),
        sleep(100),
      ]);
    }
    if (!allRead()) incomplete++;
  }
  await sleep(SETTLE_MS);
  const counts = await readCounts(origin);
  sockets.forEach((s) => s.close());
  const units = billedUnits(counts, 1);
  return {
    members,
    messages,
    incomplete,
    requests: units.requests / messages,
    invocations: units.invocations / messages,
    rows: units.rows / messages,
    byHandler: Object.fromEntries(
      Object.entries(counts.invocations).map(([name, count]) => [
        name,
        count / messages,
      ]),
    ),
    rowsByKind: Object.fromEntries(
      Object.entries(counts.rowsWritten).map(([kind, count]) => [
        kind,
        count / messages,
      ]),
    ),
  };
}
