// Runs in Chromium: stores incoming messages through the data layer's
// `applyMessages`, the function that sync pages and live `message` frames
// go through, and reports how fast IndexedDB takes them.
import type { StoredMessage } from "../../protocol/index.ts";
import { db } from "../../pwa/src/data/db.ts";
import { applyMessages } from "../../pwa/src/data/store.ts";

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

/**
 * Stores `count` messages of one chat in pages of `pageSize` (1 for live
 * frames one by one, 200 for sync pages) and returns messages per second.
 */
async function ingest(count: number, pageSize: number): Promise<number> {
  run++;
  const chatId = `dm_bench_${run}`;
  const started = performance.now();
  for (let seq = 1; seq <= count; seq += pageSize) {
    const page: StoredMessage[] = [];
    for (let i = seq; i < seq + pageSize && i <= count; i++) {
      page.push(message(chatId, run, i));
    }
    await applyMessages(chatId, page, ME, seq === 1 ? 0 : undefined);
  }
  const seconds = (performance.now() - started) / 1000;
  const stored = await db.messages
    .filter((row) => row.chatId === chatId)
    .count();
  if (stored !== count) throw new Error(`stored ${stored} of ${count}`);
  return count / seconds;
}

(globalThis as unknown as { ingest: typeof ingest }).ingest = ingest;
