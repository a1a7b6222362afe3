import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import { sendText } from "../../../pwa/src/data/messages.ts";
import {
  isStorageFullError,
  StorageFull,
  storageFull,
} from "../../../pwa/src/data/storage.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import { addChat, CHAT, resetState, stored } from "./fixtures.ts";

const NEAR_FULL = { usage: 95, quota: 100 };
const HALF_FULL = { usage: 50, quota: 100 };

function domError(name: string): DOMException {
  return new DOMException(`${name} raised by the test`, name);
}

describe("storage full classification", () => {
  it("counts a QuotaExceededError", () => {
    const error = domError("QuotaExceededError");
    expect(isStorageFullError(error, null)).toBe(true);
  });

  it("counts a quota error wrapped by Dexie", () => {
    const wrapped = {
      name: "AbortError",
      inner: domError("QuotaExceededError"),
    };
    expect(isStorageFullError(wrapped, HALF_FULL)).toBe(true);
  });

  it("counts a quota error given as cause", () => {
    const error = new Error("write failed", {
      cause: domError("QuotaExceededError"),
    });
    expect(isStorageFullError(error, null)).toBe(true);
  });

  it("counts an AbortError near the quota", () => {
    expect(isStorageFullError(domError("AbortError"), NEAR_FULL)).toBe(true);
  });

  it("ignores an AbortError with space left", () => {
    expect(isStorageFullError(domError("AbortError"), HALF_FULL)).toBe(false);
  });

  it("ignores an AbortError without an estimate", () => {
    expect(isStorageFullError(domError("AbortError"), null)).toBe(false);
  });

  it("ignores other errors", () => {
    expect(isStorageFullError(domError("ConstraintError"), NEAR_FULL)).toBe(
      false,
    );
    expect(isStorageFullError(new TypeError("x"), NEAR_FULL)).toBe(false);
    expect(isStorageFullError("QuotaExceededError", NEAR_FULL)).toBe(false);
  });
});

describe("storage full handling", () => {
  beforeEach(async () => {
    await resetState();
    storageFull.value = false;
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("rejects a send and keeps stored rows", async () => {
    await sendText(CHAT, "stored before");
    vi.spyOn(db.outbox, "add").mockRejectedValueOnce(
      domError("QuotaExceededError"),
    );

    await expect(sendText(CHAT, "too much")).rejects.toBeInstanceOf(
      StorageFull,
    );
    expect(storageFull.value).toBe(true);
    const texts = (await db.messages.toArray()).map((row) => row.text);
    expect(texts).toEqual(["stored before"]);
    expect(await db.outbox.count()).toBe(1);
  });

  it("passes other write errors unchanged", async () => {
    const failure = domError("ConstraintError");
    vi.spyOn(db.outbox, "add").mockRejectedValueOnce(failure);

    await expect(sendText(CHAT, "text")).rejects.toMatchObject({
      name: "ConstraintError",
    });
    expect(storageFull.value).toBe(false);
    expect(await db.messages.count()).toBe(0);
  });

  it("reports a frame that did not fit", async () => {
    await addChat();
    await handleFrame({ type: "message", message: stored(1) });
    vi.spyOn(db, "transaction").mockRejectedValueOnce(
      domError("QuotaExceededError"),
    );

    await handleFrame({ type: "message", message: stored(2) });
    expect(storageFull.value).toBe(true);
    const seqs = (await db.messages.toArray()).map((row) => row.seq);
    expect(seqs).toEqual([1]);
    expect((await db.chats.get(CHAT))?.lastSeq).toBe(1);
  });
});
