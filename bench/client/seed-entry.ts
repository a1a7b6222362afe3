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

/** One chat to seed. The last chat listed is the most recently active. */
interface SeedChat {
  chatId: string;
  name: string;
  messages: number;
}

function summary(chat: SeedChat, index: number): ChatSummary {
  return {
    id: chat.chatId,
    kind: "group",
    name: chat.name,
    peerId: null,
    role: "member",
    memberCount: 2,
    lastSeq: chat.messages,
    lastActivityAt: 1_764_000_000_000 + chat.messages * 1000 + index * 60_000,
    unread: 0,
    readSeq: chat.messages,
    pinned: false,
    archived: false,
    mutedUntil: 0,
    left: false,
  };
}

/** Stores the session, the chats and their messages. Returns the count. */
async function seed(chats: SeedChat[]): Promise<number> {
  await saveSession({ me: ME, deviceId: DEVICE });
  // The other member's profile is cached, as after the first sync.
  await db.profiles.put({
    id: OTHER,
    phone: "+4930100000002",
    displayName: "Other",
    about: "",
  });
  await db.chats.bulkPut(chats.map(summary));
  await db.cursors.bulkPut(
    chats.map(({ chatId, messages }) => ({
      chatId,
      seq: messages,
      hasOlder: false,
    })),
  );
  let rows: StoredRow[] = [];
  for (const [index, { chatId, messages }] of chats.entries()) {
    for (let seq = 1; seq <= messages; seq++) {
      rows.push(row(chatId, index + 1, seq));
      if (rows.length === BATCH) {
        await db.messages.bulkPut(rows);
        rows = [];
      }
    }
  }
  if (rows.length > 0) await db.messages.bulkPut(rows);
  return db.messages.count();
}

(globalThis as unknown as { seed: typeof seed }).seed = seed;
