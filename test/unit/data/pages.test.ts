import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import { deleteForMe } from "../../../pwa/src/data/messages.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, addChat, idFor, resetState, stored } from "./fixtures.ts";

function page(from: number, to: number) {
  const messages = [];
  for (let seq = from; seq <= to; seq += 1) messages.push(stored(seq));
  return messages;
}

describe("applying messages pages", () => {
  beforeEach(resetState);

  it("stores a page twice without duplicates", async () => {
    await applyMessages(CHAT, page(1, 10), ME, 0);
    await applyMessages(CHAT, page(1, 10), ME, 0);
    expect(await db.messages.count()).toBe(10);
  });

  it("merges overlapping pages", async () => {
    await applyMessages(CHAT, page(1, 6), ME, 0);
    await applyMessages(CHAT, page(4, 9), ME, 3);
    const seqs = (await db.messages.orderBy("[chatId+seq]").toArray()).map(
      (row) => row.seq,
    );
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("keeps a message deleted for me hidden after a resync", async () => {
    await applyMessages(CHAT, page(1, 3), ME, 0);
    await deleteForMe(CHAT, idFor(2));
    await applyMessages(CHAT, page(1, 3), ME, 0);
    const row = await db.messages.get(idFor(2));
    expect(row?.hidden).toBe(true);
    expect(row?.order).toBeLessThan(0);
  });

  it("skips messages of another chat", async () => {
    const other = stored(1, { chatId: `dm_${"cd".repeat(16)}` });
    await applyMessages(CHAT, [other], ME);
    expect(await db.messages.count()).toBe(0);
  });

  it("counts unread only past the inbox row", async () => {
    await addChat({ lastSeq: 5, readSeq: 3 });
    await applyMessages(CHAT, page(1, 7), ME, 0);
    const chat = await db.chats.get(CHAT);
    expect(chat?.lastSeq).toBe(7);
    expect(chat?.unread).toBe(2);
  });

  it("does not count own messages as unread", async () => {
    await addChat({ lastSeq: 0 });
    await applyMessages(CHAT, [stored(1, { senderId: ME })], ME);
    expect((await db.chats.get(CHAT))?.unread).toBe(0);
  });

  it("reports the highest sequence from others", async () => {
    const result = await applyMessages(
      CHAT,
      [stored(1), stored(2), stored(3, { senderId: ME })],
      ME,
    );
    expect(result.maxForeignSeq).toBe(2);
  });
});
