import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientFrame } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  startEncryption,
  stopEncryption,
} from "../../../pwa/src/data/encryption.ts";
import { sendText } from "../../../pwa/src/data/messages.ts";
import { pumpOutbox } from "../../../pwa/src/data/outbox.ts";
import { session } from "../../../pwa/src/data/state.ts";
import { linkSocket, resetState, sentFrames } from "./fixtures.ts";

/** Chats whose group the fake engine reports as not ready. */
const waitingChats = new Set<string>();

// The engine pulls in ts-mls, and the outbox needs only its encrypt step.
vi.mock("../../../pwa/src/e2ee/index.ts", () => ({
  EncryptionEngine: {
    start: () =>
      Promise.resolve({
        encrypt: (chatId: string, plaintext: string) =>
          Promise.resolve(
            waitingChats.has(chatId) ? null : `mls1:${btoa(plaintext)}`,
          ),
        encryptOffline: (_chatId: string, plaintext: string) =>
          Promise.resolve(`mls1:${btoa(plaintext)}`),
        handleFrame: () => {},
        retryAll: () => Promise.resolve(),
      }),
  },
}));

const WAITING = `dm_${"cd".repeat(16)}`;
const READY = `dm_${"ef".repeat(16)}`;

type SendFrame = Extract<ClientFrame, { type: "send" }>;

function sends(): SendFrame[] {
  return sentFrames.filter(
    (frame): frame is SendFrame => frame.type === "send",
  );
}

describe("encrypted outbox", () => {
  beforeEach(async () => {
    await resetState();
    waitingChats.clear();
    startEncryption(session.value!);
  });
  afterEach(() => {
    stopEncryption();
  });

  it("sends ciphertext and keeps plaintext rows", async () => {
    await sendText(READY, "secret");
    linkSocket();
    await pumpOutbox();

    const frame = sends()[0];
    expect(frame?.message.body).toMatch(/^mls1:/);
    expect(frame?.message.body).not.toContain("secret");
    const row = await db.messages.get(frame!.message.id);
    expect(row?.text).toBe("secret");
    const entry = await db.outbox.where("id").equals(frame!.message.id).first();
    expect(entry?.cipher).toBe(frame?.message.body);
  });

  it("waiting chat does not block others", async () => {
    waitingChats.add(WAITING);
    linkSocket();
    await sendText(WAITING, "first, waits");
    await sendText(READY, "second, goes");

    expect(sends().map((frame) => frame.chatId)).toEqual([READY]);
    const waiting = await db.outbox.where("chatId").equals(WAITING).toArray();
    expect(waiting.map((entry) => entry.state)).toEqual(["queued"]);
    expect(waiting[0]?.cipher).toBeUndefined();
  });

  it("encrypts queued entries ahead while offline", async () => {
    await sendText(READY, "for the worker");
    await pumpOutbox();

    expect(sentFrames).toEqual([]);
    const [entry] = await db.outbox.toArray();
    expect(entry?.cipher).toBe(`mls1:${btoa(entry!.body)}`);
  });
});
