import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import { deleteForMe } from "../../../pwa/src/data/messages.ts";
import {
  MessagePager,
  type MessagePages,
} from "../../../pwa/src/data/pages.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, addChat, idFor, resetState, stored } from "./fixtures.ts";

function range(first: number, last: number) {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Opens a pager over CHAT whose emissions can be awaited. */
function openPager(pageSize: number) {
  let latest: MessagePages | undefined;
  const waiters: Array<() => void> = [];
  const pager = new MessagePager(CHAT, pageSize, (pages) => {
    latest = pages;
    for (const wake of waiters.splice(0)) wake();
  });
  /** Resolves with the first settled emission that passes `check`. */
  async function until(check: (pages: MessagePages) => boolean) {
    for (let tries = 0; tries < 50; tries++) {
      if (latest !== undefined && !latest.settling && check(latest)) {
        return latest;
      }
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    throw new Error(
      `No matching pages after 50 emissions. Last: ${JSON.stringify(latest)}`,
    );
  }
  return { pager, until };
}

function seqsOf(pages: MessagePages) {
  return pages.rows.map((row) => row.seq);
}

describe("message pages", () => {
  let close = () => {};

  beforeEach(async () => {
    await resetState();
    await addChat();
    await applyMessages(
      CHAT,
      range(1, 10).map((seq) => stored(seq)),
      ME,
      0,
    );
  });

  afterEach(() => close());

  it("shows the newest page first", async () => {
    const { pager, until } = openPager(3);
    close = () => pager.close();
    pager.grow(1);
    const pages = await until(() => true);
    expect(seqsOf(pages)).toEqual([8, 9, 10]);
    expect(pages.complete).toBe(false);
  });

  it("adds older pages below the newest", async () => {
    const { pager, until } = openPager(3);
    close = () => pager.close();
    pager.grow(2);
    const two = await until((pages) => pages.rows.length === 6);
    expect(seqsOf(two)).toEqual([5, 6, 7, 8, 9, 10]);
    pager.grow(4);
    const all = await until((pages) => pages.complete);
    expect(seqsOf(all)).toEqual(range(1, 10));
  });

  it("shows new messages in the newest page", async () => {
    const { pager, until } = openPager(3);
    close = () => pager.close();
    pager.grow(2);
    await until((pages) => pages.rows.length === 6);
    await applyMessages(CHAT, [stored(11)], ME);
    const pages = await until((current) => current.rows.length === 7);
    expect(seqsOf(pages)).toEqual([5, 6, 7, 8, 9, 10, 11]);
  });

  it("leaves out messages deleted for me", async () => {
    const { pager, until } = openPager(3);
    close = () => pager.close();
    pager.grow(1);
    await until(() => true);
    await deleteForMe(CHAT, idFor(9));
    const pages = await until((current) => current.rows.length === 2);
    expect(seqsOf(pages)).toEqual([8, 10]);
  });

  it("takes older messages stored after completion", async () => {
    await db.messages.clear();
    await applyMessages(
      CHAT,
      range(6, 10).map((seq) => stored(seq)),
      ME,
      5,
    );
    const { pager, until } = openPager(3);
    close = () => pager.close();
    pager.grow(3);
    const local = await until((pages) => pages.complete);
    expect(seqsOf(local)).toEqual(range(6, 10));
    // An older page from the server lands below the oldest shown row.
    await applyMessages(
      CHAT,
      range(1, 5).map((seq) => stored(seq)),
      ME,
    );
    const fetched = await until((pages) => pages.rows.length === 10);
    expect(seqsOf(fetched)).toEqual(range(1, 10));
    pager.grow(4);
    const grown = await until((pages) => pages.complete);
    expect(seqsOf(grown)).toEqual(range(1, 10));
  });
});
