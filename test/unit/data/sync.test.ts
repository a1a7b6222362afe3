import { beforeEach, describe, expect, it } from "vitest";
import type { ClientFrame, ServerFrame } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { sendText } from "../../../pwa/src/data/messages.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import {
  CHAT,
  ME,
  MY_DEVICE,
  PEER,
  addChat,
  linkSocket,
  resetState,
  sentFrames,
  stored,
} from "./fixtures.ts";

function framesOf<T extends ClientFrame["type"]>(type: T) {
  return sentFrames.filter(
    (frame): frame is Extract<ClientFrame, { type: T }> => frame.type === type,
  );
}

const READY: ServerFrame = {
  type: "ready",
  userId: ME,
  deviceId: MY_DEVICE,
  serverTime: 0,
};

describe("sync engine", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
    linkSocket();
  });

  it("resumes each chat after its cursor", async () => {
    await db.cursors.put({ chatId: CHAT, seq: 42, hasOlder: true });
    await handleFrame(READY);
    const [sync] = framesOf("sync");
    expect(sync?.chats).toEqual([{ chatId: CHAT, afterSeq: 42 }]);
  });

  it("asks for the missing messages after a live gap", async () => {
    await handleFrame(READY);
    await handleFrame({ type: "sync.done", rid: framesOf("sync")[0]!.rid });
    await handleFrame({ type: "message", message: stored(1) });
    await handleFrame({ type: "message", message: stored(4) });
    const [history] = framesOf("history");
    expect(history).toMatchObject({ chatId: CHAT, afterSeq: 1 });
    await handleFrame({
      type: "messages",
      rid: history!.rid,
      chatId: CHAT,
      messages: [stored(2), stored(3), stored(4)],
      hasMore: false,
    });
    expect((await db.cursors.get(CHAT))?.seq).toBe(4);
    expect(await db.messages.count()).toBe(4);
  });

  it("waits for the sync pages before filling gaps", async () => {
    await handleFrame(READY);
    await handleFrame({ type: "message", message: stored(9) });
    expect(framesOf("history")).toEqual([]);
  });

  it("sends a delivered receipt for messages from others", async () => {
    await handleFrame({ type: "message", message: stored(1) });
    await handleFrame({
      type: "message",
      message: stored(2, { senderId: ME }),
    });
    expect(framesOf("receipt")).toEqual([
      { type: "receipt", chatId: CHAT, kind: "delivered", seq: 1 },
    ]);
  });

  it("acknowledges our send through its echo", async () => {
    await sendText(CHAT, "hi");
    const [send] = framesOf("send");
    const echo = stored(1, {
      id: send!.message.id,
      senderId: ME,
      senderDeviceId: MY_DEVICE,
      body: send!.message.body,
    });
    await handleFrame({ type: "message", message: echo });
    expect(await db.outbox.count()).toBe(0);
    expect((await db.messages.get(echo.id))?.status).toBe("sent");
  });

  it("marks a send failed from an error frame", async () => {
    await sendText(CHAT, "hi");
    const [send] = framesOf("send");
    await handleFrame({
      type: "error",
      chatId: CHAT,
      id: send!.message.id,
      error: {
        code: "forbidden",
        message: "You are not a member of this chat.",
      },
    });
    const row = await db.messages.get(send!.message.id);
    expect(row?.status).toBe("failed");
    expect(row?.error).toBe("You are not a member of this chat.");
  });

  it("stores receipts and inbox rows", async () => {
    await handleFrame({
      type: "receipt",
      chatId: CHAT,
      userId: PEER,
      deliveredSeq: 3,
      readSeq: 2,
    });
    expect(await db.receipts.get([CHAT, PEER])).toMatchObject({
      deliveredSeq: 3,
      readSeq: 2,
    });
    const chat = (await db.chats.get(CHAT))!;
    await handleFrame({ type: "inbox", chats: [{ ...chat, unread: 4 }] });
    expect((await db.chats.get(CHAT))?.unread).toBe(4);
  });

  it("keeps a read position made offline", async () => {
    await db.chats.update(CHAT, { lastSeq: 9, readSeq: 9, unread: 0 });
    const server = { ...(await db.chats.get(CHAT))!, readSeq: 4, unread: 5 };
    await handleFrame({ type: "inbox", chats: [server] });
    const row = await db.chats.get(CHAT);
    expect(row?.readSeq).toBe(9);
    expect(row?.unread).toBe(0);
    expect(framesOf("receipt")).toEqual([
      { type: "receipt", chatId: CHAT, kind: "read", seq: 9 },
    ]);
  });

  it("counts messages after an offline read", async () => {
    await db.chats.update(CHAT, { lastSeq: 6, readSeq: 6, unread: 0 });
    const local = (await db.chats.get(CHAT))!;
    const server = { ...local, lastSeq: 8, readSeq: 4, unread: 4 };
    await handleFrame({ type: "inbox", chats: [server] });
    const row = await db.chats.get(CHAT);
    expect(row?.readSeq).toBe(6);
    expect(row?.unread).toBe(2);
    expect(row?.lastSeq).toBe(8);
  });

  it("takes a newer server read position", async () => {
    await db.chats.update(CHAT, { lastSeq: 9, readSeq: 3, unread: 6 });
    const server = { ...(await db.chats.get(CHAT))!, readSeq: 9, unread: 0 };
    await handleFrame({ type: "inbox", chats: [server] });
    expect((await db.chats.get(CHAT))?.readSeq).toBe(9);
    expect(framesOf("receipt")).toEqual([]);
  });
});

describe("gap fill errors", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
    linkSocket();
  });

  it("allows a new fill after a rejected one", async () => {
    await handleFrame({ type: "message", message: stored(1) });
    await handleFrame({ type: "message", message: stored(3) });
    const [first] = framesOf("history");
    await handleFrame({
      type: "error",
      rid: first!.rid,
      error: { code: "internal", message: "The server failed." },
    });
    await handleFrame({ type: "message", message: stored(5) });
    expect(framesOf("history")).toHaveLength(2);
  });
});
