import { afterEach, describe, expect, it } from "vitest";
import {
  decodeMessageBatch,
  MessageBatchFrame,
  type ServerFrame,
  type StoredMessage,
} from "../../protocol/index.ts";
import {
  connect,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(user: Parameters<typeof connect>[0]): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

/** Syncs one chat from `afterSeq` and returns the frames up to sync.done. */
async function syncFrames(
  socket: TestSocket,
  chatId: string,
  afterSeq: number,
  compact: boolean,
): Promise<ServerFrame[]> {
  const rid = `sync-${String(compact)}`;
  socket.send({
    type: "sync",
    rid,
    chats: [{ chatId, afterSeq }],
    compact,
  });
  await socket.next("sync.done", (f) => f.rid === rid);
  return socket.frames.splice(0);
}

function pagesOf(frames: ServerFrame[]): StoredMessage[] {
  return frames.flatMap((frame) => {
    if (frame.type === "messages") return frame.messages;
    if (frame.type === "batch") return decodeMessageBatch(frame);
    return [];
  });
}

describe("compact catch-up", () => {
  it("decodes to the same messages as plain pages", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const first = await sendText(anaSocket, chatId, '{"v":1,"text":"one"}');
    const benSocket = await open(ben);
    await sendText(benSocket, chatId, "reply from another author");
    const reaction = newMessageId();
    anaSocket.send({
      type: "send",
      chatId,
      message: { id: reaction, kind: "reaction", ref: first.id, body: "+1" },
    });
    await anaSocket.next("send.ok", (f) => f.id === reaction);
    const doomed = await sendText(anaSocket, chatId, "deleted later");
    anaSocket.send({ type: "delete", rid: "d", chatId, messageId: doomed.id });
    await anaSocket.next("deleted", (f) => f.rid === "d");
    await sendText(anaSocket, chatId, "last");
    const reader = await open({ ...ben });

    const plain = await syncFrames(reader, chatId, 0, false);
    const compact = await syncFrames(reader, chatId, 0, true);

    expect(plain.filter((f) => f.type === "batch")).toEqual([]);
    const batches = compact.filter((f) => f.type === "batch");
    expect(batches).toHaveLength(1);
    expect(compact.filter((f) => f.type === "messages")).toEqual([]);
    for (const batch of batches) {
      expect(MessageBatchFrame.safeParse(batch).success).toBe(true);
      expect(batch.rid).toBe("sync-true");
    }
    const expected = pagesOf(plain);
    expect(expected.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(pagesOf(compact)).toEqual(expected);
  });

  it("pages a gap as batches with hasMore", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    for (let i = 1; i <= 5; i += 1) await sendText(anaSocket, chatId, `m${i}`);
    const reader = await open(ben);

    const frames = await syncFrames(reader, chatId, 2, true);
    const batch = frames.find((f) => f.type === "batch");
    expect(batch?.firstSeq).toBe(3);
    expect(batch?.hasMore).toBe(false);
    expect(batch?.authors).toEqual([[ana.id, ana.deviceId]]);
    const bodies = pagesOf(frames).map((m) => m.body);
    expect(bodies).toEqual(["m3", "m4", "m5"]);
  });

  it("is smaller than plain pages", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const body = JSON.stringify({ v: 1, text: "x".repeat(100) });
    for (let i = 0; i < 20; i += 1) await sendText(anaSocket, chatId, body);
    const reader = await open(ben);

    const size = (frames: ServerFrame[]) =>
      frames
        .filter((f) => f.type === "messages" || f.type === "batch")
        .reduce((sum, f) => sum + JSON.stringify(f).length, 0);
    const plain = size(await syncFrames(reader, chatId, 0, false));
    const compact = size(await syncFrames(reader, chatId, 0, true));
    const payload = 20 * body.length;
    expect(compact).toBeLessThan(plain);
    expect(compact).toBeLessThan(1.5 * payload);
  });
});

/**
 * The many-chats test signs up 21 people and sends 2,000 messages. It takes
 * a few seconds alone but can pass the default 20 s on a loaded 2-core
 * machine, so it gets a minute.
 */
const MANY_CHATS_TIMEOUT_MS = 60_000;

describe("offline catch-up", () => {
  it(
    "brings every message of many chats",
    async () => {
      // Many chats deliver to one offline hub at once, each in quick bursts,
      // the way a phone finds its chats after a night in airplane mode.
      const reader = await signUp();
      const chats = 20;
      const perChat = 100;
      const senders = await Promise.all(
        Array.from({ length: chats }, () => signUp()),
      );
      const chatIds = await Promise.all(
        senders.map((sender) => openDirect(sender, reader)),
      );
      await Promise.all(
        senders.map(async (sender, index) => {
          const socket = await open(sender);
          const ids = Array.from({ length: perChat }, () => newMessageId());
          for (const id of ids) {
            socket.send({
              type: "send",
              chatId: chatIds[index] ?? "",
              message: { id, kind: "message", body: `burst ${id}` },
            });
          }
          for (const id of ids) {
            await socket.next("send.ok", (frame) => frame.id === id);
          }
        }),
      );

      const socket = await open(reader);
      socket.send({
        type: "sync",
        rid: "night",
        chats: chatIds.map((chatId) => ({ chatId, afterSeq: 0 })),
        compact: true,
      });
      await socket.next("sync.done", (f) => f.rid === "night");
      const frames = socket.frames.splice(0);
      const inbox = frames.find((frame) => frame.type === "inbox");
      const rows = new Map(inbox?.chats.map((chat) => [chat.id, chat]));
      const messages = pagesOf(frames);
      for (const chatId of chatIds) {
        expect(rows.get(chatId)?.lastSeq).toBe(perChat);
        expect(rows.get(chatId)?.unread).toBe(perChat);
        const received = messages.filter((m) => m.chatId === chatId);
        expect(received.map((m) => m.seq)).toEqual(
          Array.from({ length: perChat }, (_, i) => i + 1),
        );
      }
    },
    MANY_CHATS_TIMEOUT_MS,
  );
});
