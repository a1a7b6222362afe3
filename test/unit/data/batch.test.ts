import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerFrame, StoredMessage } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { deleteForMe } from "../../../pwa/src/data/messages.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import {
  CHAT,
  ME,
  addChat,
  edit,
  idFor,
  linkSocket,
  reaction,
  resetState,
  sentFrames,
  stored,
} from "./fixtures.ts";

const OTHER_CHAT = `dm_${"cd".repeat(16)}`;

/** Starts one `applyMessages` call per message without waiting between. */
function applyConcurrently(messages: StoredMessage[]) {
  return Promise.all(
    messages.map((message) => applyMessages(message.chatId, [message], ME)),
  );
}

function range(first: number, last: number) {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

async function textOf(seq: number) {
  return (await db.messages.get(idFor(seq)))?.text;
}

describe("batched ingest", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("stores concurrent calls in few transactions", async () => {
    const transaction = vi.spyOn(db, "transaction");
    await applyConcurrently(range(1, 50).map((seq) => stored(seq)));
    expect(await db.messages.count()).toBe(50);
    expect(transaction.mock.calls.length).toBeLessThanOrEqual(2);
  });

  it("gives each concurrent call the chat's cursor", async () => {
    const results = await applyConcurrently(range(1, 5).map((n) => stored(n)));
    for (const result of results) {
      expect(result.cursor).toBe(5);
      expect(result.gap).toBe(false);
      expect(result.maxForeignSeq).toBe(5);
    }
    expect((await db.cursors.get(CHAT))?.seq).toBe(5);
  });

  it("counts unread once when calls arrive out of order", async () => {
    await applyConcurrently([stored(3), stored(1), stored(2)]);
    const chat = await db.chats.get(CHAT);
    expect(chat?.unread).toBe(3);
    expect(chat?.lastSeq).toBe(3);
  });

  it("skips own messages in the unread count", async () => {
    await applyMessages(CHAT, [stored(1), stored(2, { senderId: ME })], ME);
    expect((await db.chats.get(CHAT))?.unread).toBe(1);
  });

  it("folds an edit in the same batch as its target", async () => {
    await applyMessages(CHAT, [stored(1), edit(2, 1, "fixed")], ME);
    expect(await textOf(1)).toBe("fixed");
    expect((await db.messages.get(idFor(1)))?.editedAt).not.toBeNull();
  });

  it("folds an edit that arrived before its target", async () => {
    await applyMessages(CHAT, [edit(2, 1, "early")], ME);
    await applyMessages(CHAT, [stored(1)], ME);
    expect(await textOf(1)).toBe("early");
  });

  it("folds reactions onto stored messages", async () => {
    await applyMessages(CHAT, [stored(1), stored(2)], ME);
    await applyConcurrently([reaction(3, 1, "👍"), reaction(4, 2, "🎉")]);
    const rows = await db.messages.bulkGet([idFor(1), idFor(2)]);
    expect(rows[0]?.reactions).toEqual({ [stored(3).senderId]: "👍" });
    expect(rows[1]?.reactions).toEqual({ [stored(4).senderId]: "🎉" });
  });

  it("keeps folds when the target is stored again", async () => {
    await applyMessages(CHAT, [stored(1), edit(2, 1, "fixed")], ME);
    await applyMessages(CHAT, [stored(1)], ME);
    expect(await textOf(1)).toBe("fixed");
  });

  it("keeps a message deleted for me on resync", async () => {
    await applyMessages(CHAT, [stored(1), stored(2)], ME);
    await deleteForMe(CHAT, idFor(1));
    await applyMessages(CHAT, [stored(1), stored(2)], ME, 0);
    const row = await db.messages.get(idFor(1));
    expect(row?.hidden).toBe(true);
    expect(row?.order).toBeLessThan(0);
  });

  it("keeps the first stored of one id in two chats", async () => {
    const original = stored(1, { ts: 100 });
    const copy = stored(1, { chatId: OTHER_CHAT, ts: 200, body: "{}" });
    // Either order within one batch keeps the earlier message.
    for (const batch of [
      [original, copy],
      [copy, original],
    ]) {
      await db.messages.clear();
      await applyConcurrently(batch);
      expect((await db.messages.get(idFor(1)))?.chatId).toBe(CHAT);
    }
  });

  it("keeps the first stored fold of one id in two chats", async () => {
    await applyMessages(CHAT, [stored(1)], ME);
    const copy = edit(2, 1, "copied", stored(1).senderId);
    await applyConcurrently([
      edit(2, 1, "original"),
      { ...copy, chatId: OTHER_CHAT, ts: copy.ts + 1 },
    ]);
    expect(await textOf(1)).toBe("original");
    expect((await db.folds.get(idFor(2)))?.chatId).toBe(CHAT);
  });

  it("ignores messages of another chat in a call", async () => {
    const foreign = stored(7, { chatId: OTHER_CHAT });
    await applyMessages(CHAT, [stored(1), foreign], ME);
    expect(await db.messages.get(foreign.id)).toBeUndefined();
    expect((await db.chats.get(CHAT))?.lastSeq).toBe(1);
  });

  it("rejects every call of a failed batch", async () => {
    vi.spyOn(db, "transaction").mockRejectedValueOnce(new Error("disk"));
    const calls = applyConcurrently([stored(1), stored(2)]);
    await expect(calls).rejects.toThrow("disk");
    await applyMessages(CHAT, [stored(1)], ME);
    expect(await db.messages.count()).toBe(1);
  });
});

describe("live bursts", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
    linkSocket();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  function live(message: StoredMessage): ServerFrame {
    return { type: "message", message };
  }

  it("stores a burst of frames in few transactions", async () => {
    const transaction = vi.spyOn(db, "transaction");
    const applied = range(1, 40).map((seq) => handleFrame(live(stored(seq))));
    await Promise.all(applied);
    expect(await db.messages.count()).toBe(40);
    expect((await db.cursors.get(CHAT))?.seq).toBe(40);
    expect(transaction.mock.calls.length).toBeLessThanOrEqual(3);
  });

  it("sends fewer receipts than messages", async () => {
    const applied = range(1, 40).map((seq) => handleFrame(live(stored(seq))));
    await Promise.all(applied);
    const receipts = sentFrames.filter((frame) => frame.type === "receipt");
    expect(receipts.length).toBeLessThan(5);
    expect(receipts.at(-1)).toMatchObject({ kind: "delivered", seq: 40 });
  });

  it("applies a delete after the burst before it", async () => {
    void handleFrame(live(stored(1)));
    void handleFrame(live(stored(2)));
    await handleFrame({ type: "deleted", chatId: CHAT, id: idFor(1), seq: 3 });
    const row = await db.messages.get(idFor(1));
    expect(row?.deleted).toBe(true);
    expect(row?.text).toBe("");
  });

  it("applies an edit frame after the burst of its target", async () => {
    void handleFrame(live(stored(1)));
    await handleFrame(live(edit(2, 1, "fixed")));
    expect(await textOf(1)).toBe("fixed");
  });
});
