// Runs in Chromium: stores incoming messages through the data layer, the
// way sync pages (`applyMessages`) and live `message` frames (`handleFrame`)
// reach it, and reports how fast IndexedDB takes them. A bulkPut of rows
// built beforehand is the floor: what IndexedDB alone costs.
import type { ChatSummary, StoredMessage } from "../../protocol/index.ts";
import { db, type StoredRow } from "../../pwa/src/data/db.ts";
import { session } from "../../pwa/src/data/state.ts";
import { applyMessages } from "../../pwa/src/data/store.ts";
import { handleFrame } from "../../pwa/src/data/sync.ts";

const ME = "00000000-0000-7000-8000-000000000001";
const OTHER = "00000000-0000-7000-8000-000000000002";
const DEVICE = "00000000-0000-7000-8000-000000000003";

let run = 0;

/** Builds message `seq` of run `runNumber`; ids differ between runs. */
function message(
  chatId: string,
  runNumber: number,
  seq: number,
): StoredMessage {
  const suffix = String(runNumber * 1_000_000 + seq).padStart(12, "0");
  const id = `00000000-0000-7000-8000-${suffix}`;
  return {
    id,
    chatId,
    seq,
    kind: "message",
    ref: null,
    senderId: OTHER,
    senderDeviceId: DEVICE,
    body: JSON.stringify({ v: 1, text: `message ${seq} ${"x".repeat(80)}` }),
    ts: 1_764_863_900_000 + seq,
    deleted: false,
  };
}

/** Builds the row that `applyMessages` stores for `incoming`. */
function row(incoming: StoredMessage): StoredRow {
  return {
    ...incoming,
    order: incoming.seq,
    kind: "message",
    text: `message ${incoming.seq} ${"x".repeat(80)}`,
    replyTo: null,
    editedAt: null,
    reactions: {},
    system: null,
    status: "sent",
    error: null,
    hidden: false,
  };
}

function chat(id: string): ChatSummary {
  return {
    id,
    kind: "direct",
    name: null,
    peerId: OTHER,
    role: "member",
    memberCount: 2,
    lastSeq: 0,
    lastActivityAt: 0,
    unread: 0,
    readSeq: 0,
    pinned: false,
    archived: false,
    mutedUntil: 0,
    left: false,
  };
}

/**
 * How the messages arrive: sync pages of 200 applied one after the other,
 * live `message` frames all handed over in one task (a burst that queued
 * up behind a busy tab), or one of two floors. `floor` stores the finished
 * rows, and `keyFloor` rows of the key fields alone (id, chatId, seq and
 * order, which the table's indexes need), to show what the rest of a row
 * costs.
 */
type Mode = "pages" | "burst" | "floor" | "keyFloor";

/**
 * Returns the work of `mode` as a function to time. The floors' rows are
 * built here, before the clock starts, so the floors time IndexedDB only.
 */
function prepare(mode: Mode, messages: StoredMessage[]): () => Promise<void> {
  const chatId = messages[0]!.chatId;
  switch (mode) {
    case "pages":
      return async () => {
        for (let first = 0; first < messages.length; first += 200) {
          const page = messages.slice(first, first + 200);
          await applyMessages(chatId, page, ME, first === 0 ? 0 : undefined);
        }
      };
    case "burst":
      return async () => {
        await Promise.all(
          messages.map((message) => handleFrame({ type: "message", message })),
        );
      };
    case "floor": {
      const rows = messages.map(row);
      return async () => {
        await db.messages.bulkPut(rows);
      };
    }
    case "keyFloor": {
      const rows = messages.map(({ id, seq }) => ({
        id,
        chatId,
        seq,
        order: seq,
      }));
      return async () => {
        await db.table("messages").bulkPut(rows);
      };
    }
  }
}

/** Stores `count` messages of a new chat and returns messages per second. */
async function ingest(count: number, mode: Mode): Promise<number> {
  run++;
  const chatId = `dm_bench_${run}`;
  session.value = {
    me: {
      id: ME,
      phone: "+4930100000001",
      displayName: "Bench",
      about: "",
      settings: { readReceipts: true, lastSeen: "everyone" },
      createdAt: 0,
    },
    deviceId: DEVICE,
  };
  await db.chats.put(chat(chatId));
  const messages: StoredMessage[] = [];
  for (let seq = 1; seq <= count; seq++) {
    messages.push(message(chatId, run, seq));
  }
  const work = prepare(mode, messages);
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const stored = await db.messages
    .where("[chatId+seq]")
    .between([chatId, 1], [chatId, count], true, true)
    .count();
  if (stored !== count) throw new Error(`stored ${stored} of ${count}`);
  return count / seconds;
}

(globalThis as unknown as { ingest: typeof ingest }).ingest = ingest;
