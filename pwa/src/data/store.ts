import { Dexie } from "dexie";
import type { StoredMessage } from "../../../protocol/index.ts";
import { storeMessages } from "./batch.ts";
import { cursorAfterPage, gapFreeSeq, hasGap } from "./cursor.ts";
import { deleteMessageFiles } from "../media/message-files.ts";
import { db } from "./db.ts";

/** Changes made by applying messages, for receipts and gap filling. */
export interface ApplyResult {
  /**
   * Highest sequence from someone else among the messages of this chat
   * stored in the same transaction, 0 when none.
   */
  maxForeignSeq: number;
  /** The chat's cursor after applying. */
  cursor: number;
  /** Sequences above the cursor are stored, so some before them are missing. */
  gap: boolean;
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
export function advanceCursor(
  chatId: string,
): Promise<{ cursor: number; gap: boolean }> {
  return advanceChatCursor(chatId, []);
}

/**
 * Keeps the chat list row in step with messages the inbox did not count
 * yet: the server's row already covers every sequence up to its `lastSeq`.
 */
async function bumpChat(chatId: string, requests: readonly ApplyRequest[]) {
  const chat = await db.chats.get(chatId);
  if (chat === undefined) return;
  // Ascending order, so a burst whose calls arrived out of order still
  // counts each new message once.
  const incoming = requests
    .flatMap(({ messages, me }) => messages.map((message) => ({ message, me })))
    .sort((a, b) => a.message.seq - b.message.seq);
  let { lastSeq, lastActivityAt, unread } = chat;
  for (const { message, me } of incoming) {
    if (message.seq <= lastSeq) continue;
    lastSeq = message.seq;
    // As on the server, a commit does not move the chat up the list.
    if (message.kind !== "commit") {
      lastActivityAt = Math.max(lastActivityAt, message.ts);
    }
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
 * Moves the cursor of one chat past the pages in `requests`, in order, and
 * then over stored consecutive sequences.
 */
async function advanceChatCursor(
  chatId: string,
  requests: readonly ApplyRequest[],
): Promise<{ cursor: number; gap: boolean }> {
  const row = (await db.cursors.get(chatId)) ?? {
    chatId,
    seq: 0,
    hasOlder: true,
  };
  // Stored sequences only grow during a batch, so one read above the
  // starting cursor serves every later step.
  const above = await storedSeqsAbove(chatId, row.seq);
  let cursor = row.seq;
  for (const { pageAfterSeq, messages } of requests) {
    if (pageAfterSeq === undefined) continue;
    cursor = gapFreeSeq(cursor, above);
    const seqs = messages.map((message) => message.seq);
    cursor = cursorAfterPage(cursor, pageAfterSeq, seqs);
  }
  cursor = gapFreeSeq(cursor, above);
  if (cursor !== row.seq) await db.cursors.put({ ...row, seq: cursor });
  return { cursor, gap: hasGap(cursor, above) };
}

/** Messages of one chat to store, as one `applyMessages` call gave them. */
interface ApplyRequest {
  chatId: string;
  /** The call's messages of `chatId`, in the order given. */
  messages: StoredMessage[];
  me: string;
  pageAfterSeq: number | undefined;
}

/** Stores every request in one transaction and returns a result for each. */
async function applyBatch(
  requests: readonly ApplyRequest[],
): Promise<ApplyResult[]> {
  const tables = [db.messages, db.folds, db.cursors, db.chats];
  return db.transaction("rw", tables, async () => {
    await storeMessages(requests.flatMap((request) => request.messages));
    const byChat = new Map<string, ApplyRequest[]>();
    for (const request of requests) {
      const chatRequests = byChat.get(request.chatId);
      if (chatRequests === undefined) byChat.set(request.chatId, [request]);
      else chatRequests.push(request);
    }
    const cursors = new Map<string, { cursor: number; gap: boolean }>();
    for (const [chatId, chatRequests] of byChat) {
      await bumpChat(chatId, chatRequests);
      cursors.set(chatId, await advanceChatCursor(chatId, chatRequests));
    }
    // One chat's calls share the highest foreign sequence of the batch, so
    // a burst of live messages sends one delivery receipt, not one each.
    const foreign = new Map<string, number>();
    for (const { chatId, messages, me } of requests) {
      for (const message of messages) {
        if (message.senderId === me) continue;
        foreign.set(chatId, Math.max(foreign.get(chatId) ?? 0, message.seq));
      }
    }
    return requests.map(({ chatId }) => ({
      maxForeignSeq: foreign.get(chatId) ?? 0,
      ...cursors.get(chatId)!,
    }));
  });
}

interface Waiting {
  request: ApplyRequest;
  resolve: (result: ApplyResult) => void;
  reject: (error: unknown) => void;
}

/** Calls that arrived while a batch was being written. */
let waiting: Waiting[] = [];
let draining = false;

/** Writes the waiting calls, a batch per transaction, until none is left. */
async function drain(): Promise<void> {
  draining = true;
  // Calls made before this microtask runs join the first batch.
  await Promise.resolve();
  while (waiting.length > 0) {
    const batch = waiting;
    waiting = [];
    try {
      const results = await applyBatch(batch.map((entry) => entry.request));
      batch.forEach((entry, index) => entry.resolve(results[index]!));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
  draining = false;
}

/**
 * Stores server messages of one chat, in ascending sequence order, without
 * duplicates: a message already stored is overwritten by the same content.
 * Messages of other chats in `messages` are ignored. `pageAfterSeq` marks a
 * page that contains everything after that sequence.
 *
 * Calls made while an earlier batch is being written are stored together
 * in the next transaction (a group commit), so a burst of live messages
 * costs one transaction instead of one each. Each call resolves with its
 * chat's cursor after that transaction. Do not call it inside a Dexie
 * transaction: the batch runs in a transaction of its own.
 */
export function applyMessages(
  chatId: string,
  messages: StoredMessage[],
  me: string,
  pageAfterSeq?: number,
): Promise<ApplyResult> {
  const own = messages.filter((message) => message.chatId === chatId);
  const request = { chatId, messages: own, me, pageAfterSeq };
  return new Promise((resolve, reject) => {
    waiting.push({ request, resolve, reject });
    if (!draining) void Dexie.ignoreTransaction(() => drain());
  });
}

/**
 * Marks a message deleted for everyone, together with its folds, and
 * deletes the cached copy of its file.
 */
export async function applyDeleted(chatId: string, id: string) {
  const mediaIds: string[] = [];
  await db.transaction("rw", [db.messages, db.folds], async () => {
    const folds = await db.folds.where("ref").equals(id).toArray();
    await db.folds.bulkPut(
      folds.map((fold) => ({ ...fold, body: "", deleted: true })),
    );
    const row = await db.messages.get(id);
    if (row === undefined || row.chatId !== chatId) return;
    if (row.media !== null) mediaIds.push(row.media.id);
    await db.messages.put({
      ...row,
      deleted: true,
      body: "",
      text: "",
      replyTo: null,
      media: null,
      mediaError: false,
      editedAt: null,
      reactions: {},
    });
  });
  await deleteMessageFiles(id, mediaIds);
}
