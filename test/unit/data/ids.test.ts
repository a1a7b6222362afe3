import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import {
  CHAT,
  ME,
  PEER,
  idFor,
  reaction,
  resetState,
  stored,
} from "./fixtures.ts";

/** A group chat that shares its members with CHAT. */
const GROUP = "g_0190a0b0-0000-7000-8000-0000000000aa";
const MALLORY = "0190a0b0-0000-7000-8000-00000000000c";

describe("message ids reused across chats", () => {
  beforeEach(resetState);

  it("keeps a message when another chat reuses its id", async () => {
    await applyMessages(CHAT, [stored(1)], ME);
    // Ids are unique per chat only, so a member of both chats can copy an
    // id from one chat into a message of another.
    const copy = stored(7, {
      id: idFor(1),
      chatId: GROUP,
      senderId: MALLORY,
      body: JSON.stringify({ v: 1, text: "forged" }),
    });
    await applyMessages(GROUP, [copy], ME);

    const row = await db.messages.get(idFor(1));
    expect(row?.chatId).toBe(CHAT);
    expect(row?.text).toBe("text 1");
    expect(row?.senderId).toBe(PEER);
    const group = await db.messages.where("chatId").equals(GROUP).toArray();
    expect(group).toEqual([]);
  });

  it("keeps a reaction when another chat reuses its id", async () => {
    await applyMessages(CHAT, [stored(1), reaction(2, 1, "👍")], ME);
    const copy = reaction(9, 8, "😂", MALLORY);
    await applyMessages(
      GROUP,
      [stored(8, { chatId: GROUP }), { ...copy, id: idFor(2), chatId: GROUP }],
      ME,
    );

    const fold = await db.folds.get(idFor(2));
    expect(fold?.chatId).toBe(CHAT);
    expect(fold?.ref).toBe(idFor(1));
    const target = await db.messages.get(idFor(1));
    expect(target?.reactions).toEqual({ [PEER]: "👍" });
  });

  it("keeps the original when its copy arrives first", async () => {
    const copy = stored(7, {
      id: idFor(1),
      chatId: GROUP,
      senderId: MALLORY,
      ts: stored(1).ts + 5_000,
      body: JSON.stringify({ v: 1, text: "forged" }),
    });
    await applyMessages(GROUP, [copy], ME);
    await applyMessages(CHAT, [stored(1)], ME);

    const row = await db.messages.get(idFor(1));
    expect(row?.chatId).toBe(CHAT);
    expect(row?.text).toBe("text 1");
    expect(row?.senderId).toBe(PEER);
  });

  it("moves the cursor past a message it did not store", async () => {
    await applyMessages(CHAT, [stored(1)], ME);
    const copy = stored(1, { chatId: GROUP, senderId: MALLORY });
    // The page contains everything after seq 0, so the cursor may pass seq 1
    // although the copy was dropped.
    const result = await applyMessages(GROUP, [copy], ME, 0);
    expect(result.cursor).toBe(1);
    expect(result.gap).toBe(false);
  });
});
