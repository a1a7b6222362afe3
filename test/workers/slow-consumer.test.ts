import { afterAll, describe, expect, it } from "vitest";
import {
  ACK_EVERY_CHARS,
  CLOSE_TOO_SLOW,
  MAX_BODY_BYTES,
  MAX_UNACKED_CHARS,
  type StoredMessage,
} from "../../protocol/index.ts";
import {
  connect,
  createGroup,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

/** Text of each message: near the body limit, so few sends pass the cap. */
const BODY_CHARS = MAX_BODY_BYTES - 8 * 1024;
/** Messages that carry more than MAX_UNACKED_CHARS to each member. */
const MESSAGES = Math.ceil(MAX_UNACKED_CHARS / BODY_CHARS) + 4;

const sockets: TestSocket[] = [];

afterAll(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Makes `socket` acknowledge what it reads, as the app's socket does. */
function ackLikeTheApp(socket: TestSocket): void {
  let unacked = 0;
  socket.ws.addEventListener("message", (event) => {
    unacked += String(event.data).length;
    if (unacked < ACK_EVERY_CHARS) return;
    socket.send({ type: "ack", chars: unacked });
    unacked = 0;
  });
}

/** Opens a socket that has synced, so it gets live frames. */
async function syncedSocket(
  user: Awaited<ReturnType<typeof signUp>>,
  acks: boolean,
): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  if (acks) ackLikeTheApp(socket);
  socket.send({ type: "sync", rid: "first", chats: [] });
  await socket.next("sync.done");
  return socket;
}

/** Live messages of `chatId` that `socket` received, in arrival order. */
function liveMessages(socket: TestSocket, chatId: string): StoredMessage[] {
  return socket.frames.flatMap((frame) =>
    frame.type === "message" && frame.message.chatId === chatId
      ? [frame.message]
      : [],
  );
}

describe("slow consumer", () => {
  it(
    "closes a device that never acknowledges",
    { timeout: 180_000 },
    async () => {
      const [ann, ben, cai] = await Promise.all([signUp(), signUp(), signUp()]);
      const chatId = await createGroup(ann, [ben, cai], "Slow");
      const sender = await syncedSocket(ann, true);
      const reader = await syncedSocket(cai, true);
      const stalled = await syncedSocket(ben, false);
      let stalledChars = 0;
      stalled.ws.addEventListener("message", (event) => {
        stalledChars += String(event.data).length;
      });

      const sent: number[] = [];
      for (let n = 0; n < MESSAGES; n += 1) {
        const body = `${n} `.padEnd(BODY_CHARS, "x");
        const ok = await sendText(sender, chatId, body);
        sent.push(ok.seq);
      }

      // The reader that acknowledges gets every message, in order.
      await reader.next(
        "message",
        (frame) => frame.message.seq === sent.at(-1),
        60_000,
      );
      const read = liveMessages(reader, chatId).map((m) => m.seq);
      expect(read).toEqual(sent.slice(0, -1));
      expect(reader.closeCode).toBeNull();

      // The stalled device is closed once it passes the cap, and the hub
      // sent it no more than the cap.
      expect(await stalled.closed(60_000)).toBe(CLOSE_TOO_SLOW);
      expect(stalledChars).toBeLessThanOrEqual(MAX_UNACKED_CHARS);
      const before = liveMessages(stalled, chatId).map((m) => m.seq);
      expect(before.length).toBeLessThan(sent.length);
      expect(before).toEqual(sent.slice(0, before.length));

      // On reconnect it syncs from the last message it stored.
      const cursor = before.at(-1) ?? 0;
      const again = await connect(ben);
      sockets.push(again);
      ackLikeTheApp(again);
      again.send({
        type: "sync",
        rid: "resync",
        chats: [{ chatId, afterSeq: cursor }],
      });
      await again.next("sync.done", undefined, 60_000);
      const pages = again.frames.flatMap((frame) =>
        frame.type === "messages" && frame.chatId === chatId
          ? frame.messages
          : [],
      );
      const resynced = pages.map((m) => m.seq);
      expect([...before, ...resynced]).toEqual(sent);
    },
  );
});
