import { Dexie } from "dexie";
import type { StoredMessage } from "../../../protocol/index.ts";
import { decodeMessage, decodeSystem } from "./codec.ts";
import { cursorAfterPage, gapFreeSeq, hasGap } from "./cursor.ts";
import { db, HIDDEN_ORDER, type FoldRow, type StoredRow } from "./db.ts";
import { refold } from "./fold.ts";
import { log } from "./log.ts";

/** Changes made by applying messages, for receipts and gap filling. */
export interface ApplyResult {
  /** Highest sequence stored from someone else, 0 when none. */
  maxForeignSeq: number;
  /** The chat's cursor after applying. */
  cursor: number;
  /** Sequences above the cursor are stored, so some before them are missing. */
  gap: boolean;
}

function toRow(message: StoredMessage, previous: StoredRow | undefined) {
  const decoded =
    message.kind === "message" && !message.deleted
      ? decodeMessage(message.body)
      : { text: "", replyTo: null };
  const hidden = previous?.hidden ?? false;
  const row: StoredRow = {
    id: message.id,
    chatId: message.chatId,
    seq: message.seq,
    order: hidden ? HIDDEN_ORDER : message.seq,
    kind: message.kind === "system" ? "system" : "message",
    senderId: message.senderId,
    senderDeviceId: message.senderDeviceId,
    ts: message.ts,
    text: decoded.text,
    replyTo: decoded.replyTo,
    editedAt: null,
    reactions: {},
    deleted: message.deleted,
    system: message.kind === "system" ? decodeSystem(message.body) : null,
    status: "sent",
    error: null,
    body: message.deleted ? "" : message.body,
    hidden,
  };
  return row;
}

function toFold(message: StoredMessage): FoldRow | null {
  if (message.kind !== "edit" && message.kind !== "reaction") return null;
  if (message.ref === null) return null;
  return {
    id: message.id,
    chatId: message.chatId,
    seq: message.seq,
    kind: message.kind,
    ref: message.ref,
    senderId: message.senderId,
    body: message.deleted ? "" : message.body,
    ts: message.ts,
    deleted: message.deleted,
  };
}

/**
 * Stores one message or fold. Ids are unique within a chat only, and the
 * local tables are keyed by id alone, so a member of two chats can copy an id from one chat into a
 * message of the other. Of two messages with one id, the one the server
 * stored first is kept: a copy can only be made after its original was
 * stored. Without this check the copy would overwrite the original.
 */
async function storeOne(message: StoredMessage): Promise<void> {
  const fold = toFold(message);
  if (fold !== null) {
    const existing = await db.folds.get(fold.id);
    if (keepsStored(existing, message)) return;
    await db.folds.put(fold);
    await refold(fold.ref);
    // A replaced copy from another chat no longer counts on its target.
    if (existing !== undefined && existing.ref !== fold.ref) {
      await refold(existing.ref);
    }
    return;
  }
  let previous = await db.messages.get(message.id);
  if (keepsStored(previous, message)) return;
  if (previous !== undefined && previous.chatId !== message.chatId) {
    previous = undefined;
  }
  await db.messages.put(toRow(message, previous));
  await refold(message.id);
}

/** Returns true when a row of another chat with `message`'s id wins. */
function keepsStored(
  stored: { chatId: string; seq: number | null; ts: number } | undefined,
  message: StoredMessage,
): boolean {
  if (stored === undefined || stored.chatId === message.chatId) return false;
  const storedFirst = stored.seq === null || stored.ts <= message.ts;
  log("message_id_conflict", {
    chatId: message.chatId,
    id: message.id,
    seq: message.seq,
    storedChatId: stored.chatId,
    kept: storedFirst ? "stored" : "incoming",
  });
  return storedFirst;
}

/** Sequences stored for a chat above `after`, messages and folds alike. */
export async function storedSeqsAbove(chatId: string, after: number) {
  const range = (table: typeof db.messages | typeof db.folds) =>
    table
      .where("[chatId+seq]")
      .between([chatId, after + 1], [chatId, Dexie.maxKey])
      .keys();
  const keys = [...(await range(db.messages)), ...(await range(db.folds))];
  return keys.map((key) => (key as unknown as [string, number])[1]);
}

/** Moves the chat's cursor over stored consecutive sequences. */
export async function advanceCursor(
  chatId: string,
  pageAfterSeq?: number,
  pageSeqs: readonly number[] = [],
): Promise<{ cursor: number; gap: boolean }> {
  const row = (await db.cursors.get(chatId)) ?? {
    chatId,
    seq: 0,
    hasOlder: true,
  };
  let cursor = row.seq;
  if (pageAfterSeq !== undefined) {
    cursor = cursorAfterPage(cursor, pageAfterSeq, pageSeqs);
  }
  const above = await storedSeqsAbove(chatId, cursor);
  cursor = gapFreeSeq(cursor, above);
  if (cursor !== row.seq) await db.cursors.put({ ...row, seq: cursor });
  return { cursor, gap: hasGap(cursor, above) };
}

/**
 * Keeps the chat list row in step with messages the inbox did not count
 * yet: the server's row already covers every sequence up to its `lastSeq`.
 */
async function bumpChat(chatId: string, messages: StoredMessage[], me: string) {
  const chat = await db.chats.get(chatId);
  if (chat === undefined) return;
  let { lastSeq, lastActivityAt, unread } = chat;
  for (const message of messages) {
    if (message.seq <= lastSeq) continue;
    lastSeq = message.seq;
    lastActivityAt = Math.max(lastActivityAt, message.ts);
    const counts = message.kind === "message" && !message.deleted;
    if (counts && message.senderId !== me && message.seq > chat.readSeq) {
      unread += 1;
    }
  }
  if (lastSeq !== chat.lastSeq) {
    await db.chats.put({ ...chat, lastSeq, lastActivityAt, unread });
  }
}

/**
 * Stores server messages of one chat, in ascending sequence order, without
 * duplicates: a message already stored is overwritten by the same content.
 * `pageAfterSeq` marks a page that contains everything after that sequence.
 */
export async function applyMessages(
  chatId: string,
  messages: StoredMessage[],
  me: string,
  pageAfterSeq?: number,
): Promise<ApplyResult> {
  const tables = [db.messages, db.folds, db.cursors, db.chats];
  return db.transaction("rw", tables, async () => {
    let maxForeignSeq = 0;
    for (const message of messages) {
      if (message.chatId !== chatId) continue;
      await storeOne(message);
      if (message.senderId !== me) {
        maxForeignSeq = Math.max(maxForeignSeq, message.seq);
      }
    }
    await bumpChat(chatId, messages, me);
    const seqs = messages.map((message) => message.seq);
    const { cursor, gap } = await advanceCursor(chatId, pageAfterSeq, seqs);
    return { maxForeignSeq, cursor, gap };
  });
}

/** Marks a message deleted for everyone, together with its folds. */
export async function applyDeleted(chatId: string, id: string) {
  await db.transaction("rw", [db.messages, db.folds], async () => {
    const folds = await db.folds.where("ref").equals(id).toArray();
    await db.folds.bulkPut(
      folds.map((fold) => ({ ...fold, body: "", deleted: true })),
    );
    const row = await db.messages.get(id);
    if (row === undefined || row.chatId !== chatId) return;
    await db.messages.put({
      ...row,
      deleted: true,
      body: "",
      text: "",
      replyTo: null,
      editedAt: null,
      reactions: {},
    });
  });
}
