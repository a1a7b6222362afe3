import { beforeEach, describe, expect, it } from "vitest";
import type { ClientFrame } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { deleteForEveryone, sendText } from "../../../pwa/src/data/messages.ts";
import { acknowledge, pumpOutbox } from "../../../pwa/src/data/outbox.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import {
  CHAT,
  linkSocket,
  resetState,
  sentFrames,
  unlinkSocket,
} from "./fixtures.ts";

type DeleteFrame = Extract<ClientFrame, { type: "delete" }>;

function deletes(): DeleteFrame[] {
  return sentFrames.filter(
    (frame): frame is DeleteFrame => frame.type === "delete",
  );
}

/** Sends "hello" online and acknowledges it, returning its id. */
async function sentMessage(seq = 1): Promise<string> {
  linkSocket();
  await sendText(CHAT, "hello");
  const frame = sentFrames.at(-1);
  if (frame?.type !== "send") throw new Error("no send frame");
  await acknowledge(CHAT, frame.message.id, seq, 1000);
  unlinkSocket();
  return frame.message.id;
}

describe("delete for everyone", () => {
  beforeEach(resetState);

  it("queues offline and shows deleted", async () => {
    const id = await sentMessage();
    await deleteForEveryone(CHAT, id);
    expect(deletes()).toEqual([]);
    const row = await db.messages.get(id);
    expect(row?.deleted).toBe(true);
    expect(row?.text).toBe("");
    expect(await db.outbox.count()).toBe(1);
  });

  it("sends on reconnect and leaves on reply", async () => {
    const id = await sentMessage();
    await deleteForEveryone(CHAT, id);
    linkSocket();
    await pumpOutbox();
    expect(deletes()).toHaveLength(1);
    const frame = deletes()[0]!;
    expect(frame.messageId).toBe(id);
    expect(frame.chatId).toBe(CHAT);
    await handleFrame({
      type: "deleted",
      rid: frame.rid,
      chatId: CHAT,
      id,
      seq: 1,
    });
    expect(await db.outbox.count()).toBe(0);
    expect((await db.messages.get(id))?.body).toBe("");
  });

  it("keeps order with queued sends", async () => {
    const id = await sentMessage();
    await sendText(CHAT, "before");
    await deleteForEveryone(CHAT, id);
    await sendText(CHAT, "after");
    const start = sentFrames.length;
    linkSocket();
    await pumpOutbox();
    const first = sentFrames[start];
    if (first?.type !== "send") throw new Error("expected a send first");
    expect(sentFrames).toHaveLength(start + 1);
    await acknowledge(CHAT, first.message.id, 2, 2000);
    const second = sentFrames[start + 1];
    if (second?.type !== "delete") throw new Error("expected a delete next");
    expect(second.messageId).toBe(id);
    expect(sentFrames).toHaveLength(start + 2);
    await handleFrame({
      type: "deleted",
      rid: second.rid,
      chatId: CHAT,
      id,
      seq: 1,
    });
    const third = sentFrames[start + 2];
    expect(third?.type).toBe("send");
  });

  it("resends the same rid after reconnect", async () => {
    const id = await sentMessage();
    await deleteForEveryone(CHAT, id);
    linkSocket();
    await pumpOutbox();
    unlinkSocket();
    linkSocket();
    await pumpOutbox();
    expect(deletes()).toHaveLength(2);
    expect(deletes()[1]!.rid).toBe(deletes()[0]!.rid);
  });

  it("restores the message on rejection", async () => {
    const id = await sentMessage();
    await deleteForEveryone(CHAT, id);
    linkSocket();
    await pumpOutbox();
    const { rid } = deletes()[0]!;
    const message =
      "Messages can be deleted for everyone only within 48 hours of sending.";
    await handleFrame({
      type: "error",
      rid,
      chatId: CHAT,
      error: { code: "forbidden", message, field: "messageId" },
    });
    const row = await db.messages.get(id);
    expect(row?.deleted).toBe(false);
    expect(row?.text).toBe("hello");
    expect(row?.error).toBe(message);
    expect(row?.status).toBe("sent");
    expect(await db.outbox.count()).toBe(0);
  });

  it("rejects another person's message", async () => {
    await db.messages.put({
      ...(await db.messages.get(await sentMessage()))!,
      id: "other",
      senderId: "someone else",
    });
    await expect(deleteForEveryone(CHAT, "other")).rejects.toThrow(
      "your own messages",
    );
    expect(await db.outbox.count()).toBe(0);
  });
});
