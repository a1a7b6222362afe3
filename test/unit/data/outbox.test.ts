import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientFrame } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  discardFailed,
  editMessage,
  react,
  retrySend,
  sendText,
} from "../../../pwa/src/data/messages.ts";
import {
  acknowledge,
  pumpOutbox,
  rejectSend,
  retryDelay,
} from "../../../pwa/src/data/outbox.ts";
import { ApiFailure } from "../../../pwa/src/data/types.ts";
import {
  CHAT,
  ME,
  linkSocket,
  resetState,
  sentFrames,
  unlinkSocket,
} from "./fixtures.ts";

type SendFrame = Extract<ClientFrame, { type: "send" }>;

function sends(): SendFrame[] {
  return sentFrames.filter(
    (frame): frame is SendFrame => frame.type === "send",
  );
}

function lastSend(): SendFrame {
  const frame = sends().at(-1);
  if (frame === undefined) throw new Error("nothing was sent");
  return frame;
}

async function rowsInOrder() {
  return db.messages.where("chatId").equals(CHAT).sortBy("order");
}

describe("outbox", () => {
  beforeEach(resetState);
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("queues while offline and shows pending rows", async () => {
    await sendText(CHAT, "one");
    await sendText(CHAT, "two");
    expect(sentFrames).toEqual([]);
    const rows = await rowsInOrder();
    expect(rows.map((row) => row.text)).toEqual(["one", "two"]);
    expect(rows.every((row) => row.status === "pending")).toBe(true);
  });

  it("sends one at a time in order", async () => {
    await sendText(CHAT, "one");
    await sendText(CHAT, "two");
    linkSocket();
    await pumpOutbox();
    expect(sends()).toHaveLength(1);
    const first = lastSend();
    await acknowledge(CHAT, first.message.id, 1, 1000);
    expect(sends()).toHaveLength(2);
    const texts = sends().map(
      (frame) => (JSON.parse(frame.message.body) as { text: string }).text,
    );
    expect(texts).toEqual(["one", "two"]);
  });

  it("marks an acknowledged message sent with its seq", async () => {
    linkSocket();
    await sendText(CHAT, "hello");
    const { id } = lastSend().message;
    await acknowledge(CHAT, id, 7, 1234);
    const row = await db.messages.get(id);
    expect(row?.status).toBe("sent");
    expect(row?.seq).toBe(7);
    expect(row?.order).toBe(7);
    expect(row?.ts).toBe(1234);
    expect(await db.outbox.count()).toBe(0);
  });

  it("resends the same id after a reconnect", async () => {
    linkSocket();
    await sendText(CHAT, "hello");
    const before = lastSend().message.id;
    unlinkSocket();
    linkSocket();
    await pumpOutbox();
    expect(sends()).toHaveLength(2);
    expect(lastSend().message.id).toBe(before);
  });

  it("sends nothing again after a double acknowledgement", async () => {
    linkSocket();
    await sendText(CHAT, "hello");
    const { id } = lastSend().message;
    await acknowledge(CHAT, id, 1, 1);
    await acknowledge(CHAT, id, 1, 1);
    await pumpOutbox();
    expect(sends()).toHaveLength(1);
  });

  it("marks a rejected send failed and moves on", async () => {
    linkSocket();
    await sendText(CHAT, "one");
    await sendText(CHAT, "two");
    const { id } = lastSend().message;
    await rejectSend(id, { code: "forbidden", message: "Not a member." });
    const row = await db.messages.get(id);
    expect(row?.status).toBe("failed");
    expect(row?.error).toBe("Not a member.");
    expect(sends()).toHaveLength(2);
    expect(lastSend().message.id).not.toBe(id);
  });

  it("retries a failed message behind the queue", async () => {
    linkSocket();
    await sendText(CHAT, "one");
    const failed = lastSend().message.id;
    await rejectSend(failed, { code: "forbidden", message: "No." });
    await retrySend(failed);
    expect(lastSend().message.id).toBe(failed);
    expect((await db.messages.get(failed))?.status).toBe("pending");
    expect((await db.messages.get(failed))?.error).toBeNull();
  });

  it("discards a failed message", async () => {
    linkSocket();
    await sendText(CHAT, "one");
    const failed = lastSend().message.id;
    await rejectSend(failed, { code: "too_large", message: "Too big." });
    await discardFailed(failed);
    expect(await db.messages.get(failed)).toBeUndefined();
    expect(await db.outbox.count()).toBe(0);
  });

  it("does not discard a message still queued", async () => {
    await sendText(CHAT, "one");
    const [row] = await rowsInOrder();
    await discardFailed(row!.id);
    expect(await db.messages.count()).toBe(1);
  });

  it("rejects text over the limit without queueing", async () => {
    const text = "a".repeat(64 * 1024 + 1);
    await expect(sendText(CHAT, text)).rejects.toBeInstanceOf(ApiFailure);
    await expect(sendText(CHAT, text)).rejects.toMatchObject({
      code: "too_large",
      message: "Message is too long (65 KB, max 64 KB)",
    });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.messages.count()).toBe(0);
  });

  it("rejects text that encodes over the frame limit", async () => {
    // 40 000 bytes of text encode to a body of about 240 000 bytes, within
    // MAX_BODY_BYTES, but the frame escapes the body's backslashes again and
    // exceeds MAX_FRAME_CHARS. The server rejects such a frame unparsed,
    // with no message id.
    const text = "\u0001".repeat(40_000);
    await expect(sendText(CHAT, text)).rejects.toMatchObject({
      code: "too_large",
    });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.messages.count()).toBe(0);
  });

  it("rejects an edit that encodes over the frame limit", async () => {
    linkSocket();
    await sendText(CHAT, "short");
    const target = lastSend().message.id;
    await acknowledge(CHAT, target, 1, 10);
    const text = "\u0001".repeat(40_000);
    await expect(editMessage(CHAT, target, text)).rejects.toMatchObject({
      code: "too_large",
    });
    expect(await db.outbox.count()).toBe(0);
    expect(await db.folds.count()).toBe(0);
    expect((await db.messages.get(target))?.text).toBe("short");
  });

  it("shows an edit at once and keeps it after the ack", async () => {
    linkSocket();
    await sendText(CHAT, "typo");
    const target = lastSend().message.id;
    await acknowledge(CHAT, target, 1, 10);
    await editMessage(CHAT, target, "fixed");
    expect((await db.messages.get(target))?.text).toBe("fixed");
    const editFrame = lastSend();
    expect(editFrame.message.kind).toBe("edit");
    expect(editFrame.message.ref).toBe(target);
    await acknowledge(CHAT, editFrame.message.id, 2, 20);
    const row = await db.messages.get(target);
    expect(row?.text).toBe("fixed");
    expect(row?.editedAt).toBe(20);
  });

  it("rolls back a rejected reaction", async () => {
    linkSocket();
    await sendText(CHAT, "hi");
    const target = lastSend().message.id;
    await acknowledge(CHAT, target, 1, 10);
    await react(CHAT, target, "👍");
    expect((await db.messages.get(target))?.reactions).toEqual({ [ME]: "👍" });
    await rejectSend(lastSend().message.id, {
      code: "not_found",
      message: "No such message.",
    });
    expect((await db.messages.get(target))?.reactions).toEqual({});
    expect(await db.outbox.count()).toBe(0);
  });

  it("waits after rate limiting instead of failing", async () => {
    linkSocket();
    await sendText(CHAT, "one");
    const { id } = lastSend().message;
    await rejectSend(id, {
      code: "rate_limited",
      message: "Slow down.",
      retryAfter: 0.05,
    });
    expect((await db.messages.get(id))?.status).toBe("pending");
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(sends()).toHaveLength(2);
    expect(lastSend().message.id).toBe(id);
  });

  it("retries an internal failure after a delay", async () => {
    // With random 0 the first retry waits half its 1 s ceiling.
    vi.spyOn(Math, "random").mockReturnValue(0);
    linkSocket();
    await sendText(CHAT, "one");
    await sendText(CHAT, "two");
    const { id } = lastSend().message;
    await rejectSend(id, { code: "internal", message: "Try again." });
    await pumpOutbox();
    expect(sends()).toHaveLength(1);
    expect((await db.messages.get(id))?.status).toBe("pending");

    await new Promise((resolve) => setTimeout(resolve, 650));
    expect(sends()).toHaveLength(2);
    expect(lastSend().message.id).toBe(id);
  });

  it("fails a send after repeated internal errors", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    linkSocket();
    await sendText(CHAT, "one");
    await sendText(CHAT, "two");
    const { id } = lastSend().message;
    for (let attempt = 0; attempt < 3; attempt++) {
      await rejectSend(id, { code: "internal", message: "Try again." });
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (attempt < 2) {
        await new Promise((resolve) =>
          setTimeout(resolve, retryDelay(attempt, 0)),
        );
      }
    }
    expect((await db.messages.get(id))?.status).toBe("failed");
    // The failed send no longer blocks the one behind it.
    const texts = sends().map(
      (frame) => (JSON.parse(frame.message.body) as { text: string }).text,
    );
    expect(texts).toEqual(["one", "one", "one", "two"]);
  });
});

describe("retry delay", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("doubles per attempt with equal jitter", () => {
    expect(retryDelay(0, 0)).toBe(500);
    expect(retryDelay(0, 1)).toBe(1_000);
    expect(retryDelay(1, 0)).toBe(1_000);
    expect(retryDelay(3, 1)).toBe(8_000);
  });

  it("stops growing at 60 s", () => {
    expect(retryDelay(10, 1)).toBe(60_000);
    expect(retryDelay(10, 0)).toBe(30_000);
  });

  it("stays within half and all of the ceiling", () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const ceiling = Math.min(60_000, 1_000 * 2 ** attempt);
      const delay = retryDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    }
  });
});
