import { beforeEach, describe, expect, it } from "vitest";
import {
  cursorAfterPage,
  gapFreeSeq,
  hasGap,
} from "../../../pwa/src/data/cursor.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, edit, resetState, stored } from "./fixtures.ts";

describe("cursor rules", () => {
  it("moves over consecutive sequences only", () => {
    expect(gapFreeSeq(3, [4, 5, 7])).toBe(5);
    expect(gapFreeSeq(3, [5, 6])).toBe(3);
    expect(gapFreeSeq(0, [1, 2, 2, 3])).toBe(3);
  });

  it("ignores sequences at or below the cursor", () => {
    expect(gapFreeSeq(5, [1, 2, 3])).toBe(5);
    expect(hasGap(5, [1, 5])).toBe(false);
    expect(hasGap(5, [7])).toBe(true);
  });

  it("takes a page that continues from the cursor", () => {
    expect(cursorAfterPage(10, 10, [11, 12, 13])).toBe(13);
    expect(cursorAfterPage(10, 8, [9, 10, 11])).toBe(11);
  });

  it("rejects a page that starts beyond the cursor", () => {
    expect(cursorAfterPage(10, 12, [13, 14])).toBe(10);
  });

  it("starts from the newest page of a new chat", () => {
    expect(cursorAfterPage(0, 0, [301, 302, 500])).toBe(500);
    expect(cursorAfterPage(0, 0, [])).toBe(0);
  });
});

describe("stored cursor", () => {
  beforeEach(resetState);

  async function cursor() {
    return (await db.cursors.get(CHAT))?.seq ?? 0;
  }

  it("stops at a gap in live messages and reports it", async () => {
    await applyMessages(CHAT, [stored(1), stored(2)], ME);
    const result = await applyMessages(CHAT, [stored(4)], ME);
    expect(result.cursor).toBe(2);
    expect(result.gap).toBe(true);
    expect(await cursor()).toBe(2);
  });

  it("closes the gap when the missing message arrives", async () => {
    await applyMessages(CHAT, [stored(1), stored(2), stored(4), stored(5)], ME);
    const result = await applyMessages(CHAT, [stored(3)], ME);
    expect(result.cursor).toBe(5);
    expect(result.gap).toBe(false);
  });

  it("counts edits and reactions as sequences", async () => {
    await applyMessages(CHAT, [stored(1), edit(2, 1, "x"), stored(3)], ME);
    expect(await cursor()).toBe(3);
  });

  it("moves to the end of an after page", async () => {
    await applyMessages(CHAT, [stored(1)], ME);
    const page = [stored(2), stored(3), stored(4)];
    const result = await applyMessages(CHAT, page, ME, 1);
    expect(result.cursor).toBe(4);
  });

  it("starts a new chat at the newest page's end", async () => {
    const page = [stored(301), stored(302)];
    const result = await applyMessages(CHAT, page, ME, 0);
    expect(result.cursor).toBe(302);
    expect(result.gap).toBe(false);
  });

  it("keeps the cursor when an older page arrives", async () => {
    await applyMessages(CHAT, [stored(50), stored(51)], ME, 0);
    const result = await applyMessages(CHAT, [stored(48), stored(49)], ME);
    expect(result.cursor).toBe(51);
  });
});
