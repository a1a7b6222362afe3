// @ts-check
// Catch-up: one person is offline while messages arrive in 100 direct
// chats, then reconnects and syncs. Counts the time from `sync` to
// `sync.done` and the bytes of every frame received in between, next to
// the bytes of the message bodies themselves.
import { api, openSocket, signUp, signUpMany, uuidv7 } from "./app-client.mjs";
import { sleep } from "./server.mjs";

/** Text of each message: 100 characters, about the length of a chat line. */
const TEXT = "x".repeat(100);
const BODY = JSON.stringify({ v: 1, text: TEXT });

/**
 * Runs the catch-up test with `chats` chats of `perChat` messages each. Each
 * chat has its own sender, and 100 messages stay inside one device's burst
 * of 200 sends.
 *
 * @param {string} origin @param {number} firstPhone @param {boolean} quick
 */
export async function catchUp(origin, firstPhone, quick) {
  const chats = quick ? 20 : 100;
  const perChat = 100;
  const reader = await signUp(origin, firstPhone);
  const senders = await signUpMany(origin, chats, firstPhone + 1);
  /** @type {string[]} */
  const chatIds = [];
  /** @type {number[]} */
  const lastSeqs = [];
  for (const sender of senders) {
    const opened = await api(origin, "POST", "/api/chats/direct", {
      body: { userId: reader.userId },
      cookie: sender.cookie,
    });
    chatIds.push(opened.json.chat.id);
    lastSeqs.push(opened.json.chat.lastSeq ?? 0);
  }
  let acked = 0;
  await Promise.all(
    senders.map(async (sender, index) => {
      const socket = await openSocket(origin, sender, (frame) => {
        if (frame.type === "send.ok") acked++;
      });
      for (let i = 0; i < perChat; i++) {
        socket.send(
          JSON.stringify({
            type: "send",
            chatId: chatIds[index],
            message: { id: uuidv7(), kind: "message", body: BODY },
          }),
        );
      }
      return socket;
    }),
  ).then(async (sockets) => {
    const total = chats * perChat;
    const deadline = Date.now() + 120_000;
    while (acked < total && Date.now() < deadline) await sleep(50);
    sockets.forEach((s) => s.close());
  });

  let bytes = 0;
  let messages = 0;
  let frames = 0;
  /** @type {() => void} */
  let done = () => {};
  const finished = new Promise((resolve) => {
    done = () => resolve(undefined);
  });
  const socket = await openSocket(origin, reader, (frame, _at, size) => {
    frames++;
    bytes += size;
    if (frame.type === "messages") messages += frame.messages.length;
    if (frame.type === "batch") messages += frame.rows.length;
    if (frame.type === "sync.done") done();
  });
  const started = performance.now();
  socket.send(
    JSON.stringify({
      type: "sync",
      rid: "catch-up",
      chats: chatIds.map((chatId, i) => ({ chatId, afterSeq: lastSeqs[i] })),
      // As the app does: pages come as `batch` frames (protocol/batch.ts).
      compact: true,
    }),
  );
  await Promise.race([finished, sleep(120_000)]);
  const seconds = (performance.now() - started) / 1000;
  socket.close();
  return {
    chats,
    sent: chats * perChat,
    acked,
    received: messages,
    frames,
    seconds,
    bytes,
    payloadBytes: messages * Buffer.byteLength(BODY),
  };
}
