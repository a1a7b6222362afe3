import { dispatchCallFrame, hasJoinedGroupCall } from "./call-frames.ts";
import { dispatchEncryptionFrame } from "./encryption-events.ts";
import {
  decodeMessageBatch,
  MAX_HISTORY_PAGE,
  MAX_SYNC_CHATS,
  type ChatSummary,
  type ServerFrame,
  type ServerFrameType,
  type StoredMessage,
} from "../../../protocol/index.ts";
import { chainFrame } from "./bursts.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { guardStorage } from "./storage.ts";
import {
  acknowledge,
  acknowledgeDelete,
  outboxDisconnected,
  pumpOutbox,
  rejectSend,
} from "./outbox.ts";
import { ensureChat, fetchDetail } from "./people.ts";
import { ensureProfiles } from "./profiles.ts";
import { applyContactsFrame, loadContacts } from "./contacts.ts";
import {
  applyPresence,
  applyTyping,
  clearAllTyping,
  clearTyping,
  composerDisconnected,
  setServerTime,
} from "./presence.ts";
import { flushReceipts, sendReceipt, storeReceipt } from "./receipts.ts";
import { session } from "./state.ts";
import { closeChatNotifications } from "./notifications.ts";
import { applyIncoming, membershipChanged } from "./encryption.ts";
import { advanceCursor, applyDeleted } from "./store.ts";
import { sendView, viewDisconnected } from "./view.ts";
import { newRid, sendFrame, settleRequest } from "./wire.ts";

/**
 * The sync engine: turns server frames into Dexie writes, one frame at a
 * time in arrival order, and keeps each chat's cursor gap-free by asking
 * for missing messages with `history` pages.
 */

/**
 * Owner of the `messages` pages of an open request: the reply to `sync`
 * (per chat "after the cursor sent", or the newest page when 0), a gap fill
 * ("after this sequence"), or an older page for loadOlder.
 */
type PageRequest =
  | { kind: "sync"; afterSeq: Map<string, number> }
  | { kind: "fill"; chatId: string; afterSeq: number }
  | { kind: "older"; chatId: string };

const pageRequests = new Map<string, PageRequest>();
/** Chats with a gap-filling `history` request on the way. */
const filling = new Set<string>();
/** True from sending `sync` until `sync.done`, while gaps wait for its pages. */
let syncing = false;

function me(): string {
  return session.value?.me.id ?? "";
}

/** Starts a sync on a fresh connection: receipts, `sync`, then the outbox. */
export async function startSync(): Promise<void> {
  flushReceipts();
  const cursors = await db.cursors.toArray();
  const listed = new Map(
    cursors
      .filter((row) => row.seq > 0)
      .slice(0, MAX_SYNC_CHATS)
      .map((row) => [row.chatId, row.seq]),
  );
  const rid = newRid();
  pageRequests.set(rid, { kind: "sync", afterSeq: listed });
  const chats = [...listed].map(([chatId, afterSeq]) => ({ chatId, afterSeq }));
  syncing = sendFrame({ type: "sync", rid, chats, compact: true });
  log("sync_started", { chats: chats.length });
  await pumpOutbox();
}

export function syncDisconnected(): void {
  syncing = false;
  clearAllTyping();
  composerDisconnected();
  viewDisconnected();
  pageRequests.clear();
  filling.clear();
  outboxDisconnected();
}

/** Asks for what follows the cursor, one page at a time, until no gap. */
function fillGap(chatId: string, cursor: number): void {
  if (syncing || filling.has(chatId)) return;
  const rid = newRid();
  const sentFrame = sendFrame({
    type: "history",
    rid,
    chatId,
    afterSeq: cursor,
    limit: MAX_HISTORY_PAGE,
  });
  if (!sentFrame) return;
  filling.add(chatId);
  pageRequests.set(rid, { kind: "fill", chatId, afterSeq: cursor });
}

/** Ends a gap fill that the server rejected. False for other requests. */
function endFill(rid: string | undefined): boolean {
  const request = pageRequests.get(rid ?? "");
  if (request?.kind !== "fill") return false;
  pageRequests.delete(rid ?? "");
  filling.delete(request.chatId);
  log("gap_fill_failed", { chatId: request.chatId });
  return true;
}

/** Fills the gaps that live messages opened while a sync was running. */
async function fillAllGaps(): Promise<void> {
  for (const row of await db.cursors.toArray()) {
    const { cursor, gap } = await advanceCursor(row.chatId);
    if (gap) fillGap(row.chatId, cursor);
  }
}

/** Registers an older-page request so its reply is stored as such. */
export function expectOlderPage(rid: string, chatId: string): void {
  pageRequests.set(rid, { kind: "older", chatId });
}

function pageAfterSeq(request: PageRequest | undefined, chatId: string) {
  switch (request?.kind) {
    case "sync":
      return request.afterSeq.get(chatId) ?? 0;
    case "fill":
      return request.afterSeq;
    case "older":
    case undefined:
      return undefined;
  }
}

/** Records whether older messages exist, and continues gap fills. */
async function afterPage(
  frame: Extract<ServerFrame, { type: "messages" }>,
  request: PageRequest | undefined,
  cursor: number,
) {
  const rid = frame.rid ?? "";
  switch (request?.kind) {
    case "sync":
      // For a chat synced from 0, the newest page's hasMore is about older.
      if ((request.afterSeq.get(frame.chatId) ?? 0) === 0) {
        await setHasOlder(frame.chatId, frame.hasMore);
      }
      return;
    case "fill":
      pageRequests.delete(rid);
      filling.delete(frame.chatId);
      if (frame.hasMore) fillGap(frame.chatId, cursor);
      return;
    case "older":
      pageRequests.delete(rid);
      await setHasOlder(frame.chatId, frame.hasMore);
      settleRequest(frame);
      return;
    case undefined:
      return;
  }
}

async function setHasOlder(chatId: string, hasOlder: boolean) {
  const row = await db.cursors.get(chatId);
  await db.cursors.put({ chatId, seq: row?.seq ?? 0, hasOlder });
}

async function storeLive(chatId: string, messages: StoredMessage[]) {
  const result = await applyIncoming(chatId, messages, me());
  // Loaded on first use, because the first screen has a size budget.
  import("./page-notifications.ts")
    .then((module) => module.notifyLiveMessages(chatId, messages, me()))
    .catch((error: unknown) => {
      log("page_notify_failed", { chatId, error: String(error) });
    });
  if (result.gap) fillGap(chatId, result.cursor);
  if (result.maxForeignSeq > 0) {
    sendReceipt("delivered", chatId, result.maxForeignSeq);
  }
}

type Handlers = {
  [K in ServerFrameType]: (
    frame: Extract<ServerFrame, { type: K }>,
  ) => Promise<void>;
};

const handlers: Handlers = {
  "mls.pending": async (frame) => dispatchEncryptionFrame(frame),
  "keys.low": async (frame) => dispatchEncryptionFrame(frame),
  "history.request": async (frame) => dispatchEncryptionFrame(frame),
  "history.ready": async (frame) => dispatchEncryptionFrame(frame),
  "call.incoming": dispatchCallFrame,
  "call.state": dispatchCallFrame,
  "call.signal": dispatchCallFrame,
  "call.media": dispatchCallFrame,
  "call.ended": dispatchCallFrame,
  "groupcall.state": dispatchCallFrame,
  "groupcall.ring": dispatchCallFrame,
  "groupcall.ring.stopped": dispatchCallFrame,
  "groupcall.ended": dispatchCallFrame,
  "groupcall.key": dispatchCallFrame,
  "groupcall.key.request": dispatchCallFrame,

  ready: async (frame) => {
    setServerTime(frame.serverTime);
    sendView(true);
    void loadContacts();
    // Rejoins the group call that this tab took part in before a reload.
    if (hasJoinedGroupCall()) {
      void dispatchCallFrame(frame);
    }
    await startSync();
  },

  inbox: async (frame) => {
    const ids = new Set(frame.chats.map((chat) => chat.id));
    let unsentReads: ChatSummary[] = [];
    await db.transaction("rw", db.chats, async () => {
      const local = await db.chats.bulkGet(frame.chats.map((chat) => chat.id));
      const merged = frame.chats.map((chat, index) =>
        keepLocalRead(chat, local[index]),
      );
      unsentReads = merged.filter(
        (chat, index) => chat.readSeq > frame.chats[index]!.readSeq,
      );
      await db.chats.bulkPut(merged);
      const stale = (await db.chats.toCollection().primaryKeys()).filter(
        (id) => !ids.has(id),
      );
      await db.chats.bulkDelete(stale);
    });
    // Chats read while offline, possibly before a reload: the server
    // learns the read position now.
    for (const chat of unsentReads) sendReceipt("read", chat.id, chat.readSeq);
    const peers = frame.chats.flatMap((chat) => chat.peerId ?? []);
    void ensureProfiles(peers);
  },

  chat: async (frame) => {
    const local = await db.chats.get(frame.chat.id);
    await db.chats.put(keepLocalRead(frame.chat, local));
    // Read on another device: its notification here goes too.
    if (frame.chat.unread === 0 && (local?.unread ?? 0) > 0) {
      void closeChatNotifications(frame.chat.id);
    }
    void membershipChanged(frame.chat.id);
    if (frame.chat.peerId !== null) void ensureProfiles([frame.chat.peerId]);
    // Membership or the name may have changed: refresh a cached detail.
    if ((await db.details.get(frame.chat.id)) !== undefined) {
      void fetchDetail(frame.chat.id);
    }
  },

  messages: async (frame) => {
    const request = pageRequests.get(frame.rid ?? "");
    await ensureChat(frame.chatId);
    const result = await applyIncoming(
      frame.chatId,
      frame.messages,
      me(),
      pageAfterSeq(request, frame.chatId),
    );
    await afterPage(frame, request, result.cursor);
    if (result.maxForeignSeq > 0) {
      sendReceipt("delivered", frame.chatId, result.maxForeignSeq);
    }
  },

  batch: (frame) =>
    handlers.messages({
      type: "messages",
      rid: frame.rid,
      chatId: frame.chatId,
      messages: decodeMessageBatch(frame),
      hasMore: frame.hasMore,
    }),

  message: async (frame) => {
    const message = frame.message;
    clearTyping(message.chatId, message.senderId);
    await ensureChat(message.chatId);
    await storeLive(message.chatId, [message]);
    if (message.senderId === me()) {
      await acknowledge(message.chatId, message.id, message.seq, message.ts);
    }
  },

  "send.ok": (frame) =>
    acknowledge(frame.chatId, frame.id, frame.seq, frame.ts),

  receipt: (frame) => storeReceipt(frame),

  presence: (frame) => {
    applyPresence(frame);
    return Promise.resolve();
  },

  typing: (frame) => {
    applyTyping(frame);
    return Promise.resolve();
  },

  deleted: async (frame) => {
    await applyDeleted(frame.chatId, frame.id);
    void closeChatNotifications(frame.chatId, frame.seq);
    if (frame.rid !== undefined) await acknowledgeDelete(frame.rid);
    settleRequest(frame);
  },

  contacts: (frame) => applyContactsFrame(frame),

  "sync.done": async (frame) => {
    pageRequests.delete(frame.rid ?? "");
    syncing = false;
    log("sync_done");
    await fillAllGaps();
  },

  error: async (frame) => {
    const { code } = frame.error;
    const outboxId = frame.id ?? frame.rid;
    if (outboxId !== undefined && (await rejectSend(outboxId, frame.error))) {
      return;
    }
    if (frame.id !== undefined) return;
    if (!settleRequest(frame) && !endFill(frame.rid)) {
      log("server_error", { code, rid: frame.rid, chatId: frame.chatId });
    }
  },
};

/**
 * Returns the server's inbox row with this device's read position when
 * that is ahead, because the receipt of a chat read offline may not have
 * reached the server yet.
 * Unread then counts at most the messages after the local position.
 */
function keepLocalRead(
  server: ChatSummary,
  local: ChatSummary | undefined,
): ChatSummary {
  if (local === undefined || local.readSeq <= server.readSeq) return server;
  const readSeq = Math.min(local.readSeq, server.lastSeq);
  const unread = Math.min(server.unread, server.lastSeq - readSeq);
  return { ...server, readSeq, unread };
}

let queue: Promise<void> = Promise.resolve();

/**
 * Applies a server frame after the frames that arrived before it; live
 * `message` frames that arrive together are applied as one burst (see
 * bursts.ts).
 */
export function handleFrame(frame: ServerFrame): Promise<void> {
  queue = chainFrame(queue, frame, dispatch);
  return queue;
}

async function dispatch(frame: ServerFrame): Promise<void> {
  try {
    const handler = handlers[frame.type] as (f: ServerFrame) => Promise<void>;
    // A frame whose write failed for lack of space is not applied, and the
    // cursor stays behind it, so the next sync fetches it again.
    await guardStorage(() => handler(frame));
  } catch (error) {
    log("frame_failed", { type: frame.type, error: String(error) });
  }
}
