import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommitEvent } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  MessagePager,
  type MessagePages,
} from "../../../pwa/src/data/pages.ts";
import { buildChatRows } from "../../../pwa/src/data/rows.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import {
  CHAT,
  ME,
  PEER,
  addChat,
  idFor,
  resetState,
  stored,
} from "./fixtures.ts";

const EVENT: CommitEvent = {
  epoch: 0,
  commit: "Y29tbWl0",
  committer: { userId: PEER, deviceId: idFor(100) },
  added: [{ userId: ME, deviceId: idFor(101) }],
  removed: [],
};

function commitAt(seq: number) {
  return stored(seq, { kind: "commit", body: JSON.stringify(EVENT) });
}

let close = () => {};

/** Opens one page of CHAT and resolves with its first settled emission. */
function firstPage(size: number): Promise<MessagePages> {
  return new Promise((resolve) => {
    const pager = new MessagePager(CHAT, size, (pages) => {
      if (!pages.settling) resolve(pages);
    });
    close = () => pager.close();
    pager.grow(1);
  });
}

describe("commit messages", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
  });

  afterEach(() => close());

  it("stay out of the message list", async () => {
    const result = await applyMessages(
      CHAT,
      [stored(1), commitAt(2), stored(3)],
      ME,
      0,
    );
    expect(result.cursor).toBe(3);
    expect(result.gap).toBe(false);

    const pages = await firstPage(10);
    expect(pages.rows.map((row) => row.seq)).toEqual([1, 3]);
    expect(pages.complete).toBe(true);

    const row = await db.messages.get(idFor(2));
    expect(row?.kind).toBe("commit");
    expect(row?.body).toBe(JSON.stringify(EVENT));
    expect(row?.text).toBe("");
  });

  it("stay out of the chat preview", async () => {
    await applyMessages(CHAT, [stored(1), commitAt(2)], ME, 0);
    const [row] = await buildChatRows(await db.chats.toArray(), ME);
    expect(row?.preview?.text).toBe("text 1");
    expect(row?.preview?.ts).toBe(stored(1).ts);
  });

  it("count as neither unread nor activity", async () => {
    await applyMessages(CHAT, [stored(1), commitAt(2)], ME);
    const chat = await db.chats.get(CHAT);
    expect(chat?.lastSeq).toBe(2);
    expect(chat?.unread).toBe(1);
    expect(chat?.lastActivityAt).toBe(stored(1).ts);
  });
});
