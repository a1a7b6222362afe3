import { beforeEach, describe, expect, it } from "vitest";
import type { CallEvent, CallOutcome } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { buildChatRows } from "../../../pwa/src/data/rows.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { CHAT, ME, PEER, addChat, resetState, stored } from "./fixtures.ts";

/** Stores a call entry at `seq`, as the ChatRoom writes it. */
async function storeCall(
  seq: number,
  outcome: CallOutcome,
  callerId = PEER,
): Promise<void> {
  const event: CallEvent = {
    event: "call",
    callId: `0190a0b0-0000-7000-8000-0000000c${String(seq).padStart(4, "0")}`,
    callerId,
    video: false,
    outcome,
    durationMs: 0,
    startedAt: 1_700_000_000_000,
  };
  await applyMessages(
    CHAT,
    [stored(seq, { kind: "system", body: JSON.stringify(event) })],
    ME,
  );
}

async function unreadOfChat(): Promise<number | undefined> {
  const [row] = await buildChatRows(await db.chats.toArray(), ME);
  return row?.unread;
}

describe("missed calls in chat rows", () => {
  beforeEach(async () => {
    await resetState();
  });

  it("counts an unread missed call", async () => {
    await addChat({ lastSeq: 1 });
    await storeCall(1, "missed");
    expect(await unreadOfChat()).toBe(1);
  });

  it("skips missed calls before the read position", async () => {
    await addChat({ lastSeq: 2, readSeq: 1 });
    await storeCall(1, "missed");
    await storeCall(2, "cancelled");
    expect(await unreadOfChat()).toBe(1);
  });

  it("skips answered and outgoing calls", async () => {
    await addChat({ lastSeq: 2 });
    await storeCall(1, "completed");
    await storeCall(2, "missed", ME);
    expect(await unreadOfChat()).toBe(0);
  });

  it("shows the missed call as the preview", async () => {
    await addChat({ lastSeq: 1 });
    await storeCall(1, "missed");
    const [row] = await buildChatRows(await db.chats.toArray(), ME);
    expect(row?.preview?.text).toBe("Missed voice call");
  });
});
