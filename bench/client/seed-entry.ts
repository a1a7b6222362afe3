// Runs in Chromium on the app's origin: fills the app's IndexedDB with a
// signed-in session and chats of many messages, written directly with
// bulkPut, so the app can then be opened on them.
import type { ChatSummary, Me } from "../../protocol/index.ts";
import { db, saveSession, type StoredRow } from "../../pwa/src/data/db.ts";

const ME: Me = {
  id: "00000000-0000-7000-8000-000000000001",
  phone: "+4930100000001",
  displayName: "Bench",
  about: "",
  settings: { readReceipts: true, lastSeen: "everyone" },
  createdAt: 1_764_000_000_000,
};
const OTHER = "00000000-0000-7000-8000-000000000002";
const DEVICE = "00000000-0000-7000-8000-000000000003";
/** Rows per bulkPut, to keep each transaction short. */
const BATCH = 5000;

function row(chatId: string, chatIndex: number, seq: number): StoredRow {
  const suffix = String(chatIndex * 10_000_000 + seq).padStart(12, "0");
  const text = `Message ${seq}`;
  return {
    id: `00000000-0000-7000-9000-${suffix}`,
    chatId,
    seq,
    order: seq,
    kind: "message",
    senderId: seq % 2 === 0 ? ME.id : OTHER,
    senderDeviceId: DEVICE,
    ts: 1_764_000_000_000 + seq * 1000,
    text,
    replyTo: null,
    editedAt: null,
    reactions: {},
    deleted: false,
    system: null,
    status: "sent",
    error: null,
    body: JSON.stringify({ v: 1, text }),
    hidden: false,
  };
}

function summary(chatId: string, name: string, lastSeq: number): ChatSummary {
  return {
    id: chatId,
    kind: "group",
    name,
    peerId: null,
    role: "member",
    memberCount: 2,
    lastSeq,
    lastActivityAt: 1_764_000_000_000 + lastSeq * 1000,
    unread: 0,
    readSeq: lastSeq,
    pinned: false,
    archived: false,
    mutedUntil: 0,
    left: false,
  };
}

/** Stores the session and one chat per entry of `sizes`, in messages. */
async function seed(chats: Array<{ chatId: string; messages: number }>) {
  await saveSession({ me: ME, deviceId: DEVICE });
  for (const [index, { chatId, messages }] of chats.entries()) {
    await db.chats.put(summary(chatId, `Bench ${messages}`, messages));
    await db.cursors.put({ chatId, seq: messages, hasOlder: false });
    for (let first = 1; first <= messages; first += BATCH) {
      const rows: StoredRow[] = [];
      const last = Math.min(messages, first + BATCH - 1);
      for (let seq = first; seq <= last; seq++) {
        rows.push(row(chatId, index + 1, seq));
      }
      await db.messages.bulkPut(rows);
    }
  }
  return db.messages.count();
}

(globalThis as unknown as { seed: typeof seed }).seed = seed;
