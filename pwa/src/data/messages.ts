import { Dexie } from "dexie";
import { newId } from "./uuid.ts";
import {
  HTTP_STATUS,
  MAX_BODY_BYTES,
  MAX_FRAME_CHARS,
  MAX_HISTORY_PAGE,
  MAX_TEXT_BYTES,
  utf8Length,
  type ClientFrame,
  type ClientMessageKind,
} from "../../../protocol/index.ts";
import { deleteMessageFiles } from "../media/message-files.ts";
import { encodeEdit, encodeMessage, encodeReaction } from "./codec.ts";
import { db, HIDDEN_ORDER } from "./db.ts";
import { refold } from "./fold.ts";
import { enqueue, pumpOutbox, retryFailed } from "./outbox.ts";
import {
  forgetUnsavedSend,
  saveUnsavedSend,
  storeSend,
  type UnsavedSend,
} from "./unsaved-sends.ts";
import { sendReceipt } from "./receipts.ts";
import { connection, session } from "./state.ts";
import { guardStorage } from "./storage.ts";
import { expectOlderPage } from "./sync.ts";
import { ApiFailure, type Session } from "./types.ts";
import { newRid, request, RequestLost } from "./wire.ts";

/** Actions on messages. Each writes Dexie first, and the outbox sends later. */

/** Messages per `history` page when scrolling back. */
const OLDER_PAGE = Math.min(50, MAX_HISTORY_PAGE);

function requireSession(): Session {
  const current = session.value;
  if (!current) throw new ApiFailure("unauthenticated", "Sign in first.", 401);
  return current;
}

/** Rejects text over MAX_TEXT_BYTES of UTF-8 before anything is queued. */
function checkText(text: string): void {
  if (text.trim() === "") {
    throw new ApiFailure(
      "invalid_request",
      "Message is empty.",
      HTTP_STATUS.invalid_request,
      "text",
    );
  }
  const bytes = utf8Length(text);
  if (bytes > MAX_TEXT_BYTES) {
    const kb = Math.ceil(bytes / 1024);
    throw new ApiFailure(
      "too_large",
      `Message is too long (${kb} KB, max ${MAX_TEXT_BYTES / 1024} KB)`,
      HTTP_STATUS.too_large,
      "text",
    );
  }
}

/**
 * Rejects a send whose frame the server would reject unparsed. Text within
 * MAX_TEXT_BYTES can still encode too large when it is mostly control
 * characters, which JSON escapes in six characters each. Such a frame gets
 * an error without the message id, so the outbox would resend it forever.
 */
function checkEncoded(frame: Extract<ClientFrame, { type: "send" }>): void {
  const bodyBytes = utf8Length(frame.message.body);
  const frameChars = JSON.stringify(frame).length;
  if (bodyBytes <= MAX_BODY_BYTES && frameChars <= MAX_FRAME_CHARS) return;
  throw new ApiFailure(
    "too_large",
    `Message is too long once encoded (${frameChars} characters, max ${MAX_FRAME_CHARS}); remove control characters or shorten it`,
    HTTP_STATUS.too_large,
    "text",
  );
}

/**
 * Queues a new message and shows it at once with a clock. A copy goes to
 * localStorage before the Dexie write, so a tab closed while the write
 * waits still sends it at the next start (see unsaved-sends.ts).
 */
export async function sendText(
  chatId: string,
  text: string,
  replyTo?: string,
): Promise<void> {
  checkText(text);
  const { me, deviceId } = requireSession();
  const id = newId();
  const body = encodeMessage(text, replyTo);
  checkEncoded({
    type: "send",
    chatId,
    message: { id, kind: "message", body },
  });
  const send: UnsavedSend = {
    id,
    chatId,
    userId: me.id,
    deviceId,
    text,
    replyTo: replyTo ?? null,
    body,
    ts: Date.now(),
  };
  saveUnsavedSend(send);
  try {
    await guardStorage(() => storeSend(send));
  } finally {
    // Stored, or failed with an error that the composer shows: either
    // way the next start must not queue the copy.
    forgetUnsavedSend(id);
  }
  await pumpOutbox();
}

/**
 * Changes the text of our message that the server rejected and sends it
 * again, as a person does after "too large" or a typo they now notice.
 */
export async function editFailed(
  chatId: string,
  id: string,
  text: string,
): Promise<void> {
  checkText(text);
  const row = await db.messages.get(id);
  if (row === undefined || row.chatId !== chatId || row.status !== "failed") {
    throw new Error("This message was sent meanwhile; edit it from its menu.");
  }
  const body = encodeMessage(
    text,
    row.replyTo ?? undefined,
    row.media ?? undefined,
  );
  checkEncoded({
    type: "send",
    chatId,
    message: { id, kind: "message", body },
  });
  await retryFailed(id, { text, body });
}

/** Queues an edit or reaction and shows it on the target at once. */
async function queueFold(
  chatId: string,
  ref: string,
  kind: Exclude<ClientMessageKind, "message">,
  body: string,
): Promise<void> {
  const { me } = requireSession();
  const id = newId();
  checkEncoded({ type: "send", chatId, message: { id, kind, ref, body } });
  const tables = [db.messages, db.folds, db.outbox];
  await guardStorage(() =>
    db.transaction("rw", tables, async () => {
      const fold = { id, chatId, seq: null, kind, ref, senderId: me.id };
      await db.folds.add({ ...fold, body, ts: Date.now(), deleted: false });
      await refold(ref);
      await enqueue({ id, chatId, kind, ref, body, attempts: 0 });
    }),
  );
  await pumpOutbox();
}

export async function editMessage(chatId: string, id: string, text: string) {
  checkText(text);
  await queueFold(chatId, id, "edit", encodeEdit(text));
}

/** Sets our reaction to a message. An empty emoji removes it. */
export async function react(chatId: string, id: string, emoji: string) {
  await queueFold(chatId, id, "reaction", encodeReaction(emoji));
}

/** Hides a message on this device only, and a resync keeps it hidden. */
export async function deleteForMe(chatId: string, id: string) {
  const row = await db.messages.get(id);
  if (row === undefined || row.chatId !== chatId) return;
  await db.messages.put({ ...row, hidden: true, order: HIDDEN_ORDER });
}

/**
 * Queues a delete for everyone of our own message and shows the message as
 * deleted at once. The body stays in the row until the server confirms, so
 * a rejection (window passed, not the author) can restore the message.
 * NOTE: a stored copy that arrives before the `deleted` reply (a sync page,
 * or the echo of a send still queued) shows the message again until then.
 */
export async function deleteForEveryone(chatId: string, id: string) {
  const { me } = requireSession();
  const rid = newRid();
  const tables = [db.messages, db.folds, db.outbox];
  const mediaIds: string[] = [];
  await guardStorage(() =>
    db.transaction("rw", tables, async () => {
      const row = await db.messages.get(id);
      if (row === undefined || row.chatId !== chatId) {
        throw new ApiFailure(
          "not_found",
          `Message ${id} does not exist in this chat.`,
          HTTP_STATUS.not_found,
          "messageId",
        );
      }
      if (row.senderId !== me.id || row.kind !== "message") {
        throw new ApiFailure(
          "forbidden",
          "You can only delete your own messages for everyone.",
          HTTP_STATUS.forbidden,
          "messageId",
        );
      }
      if (row.deleted) return;
      if (row.media !== null) mediaIds.push(row.media.id);
      await db.messages.put({
        ...row,
        deleted: true,
        text: "",
        media: null,
        mediaError: false,
        editedAt: null,
        reactions: {},
        error: null,
      });
      await enqueue({
        id: rid,
        chatId,
        kind: "delete",
        ref: id,
        body: "",
        attempts: 0,
      });
    }),
  );
  await deleteMessageFiles(id, mediaIds);
  await pumpOutbox();
}

export { discardFailed, retryFailed as retrySend } from "./outbox.ts";

/** Marks a chat read up to its newest message and sends a read receipt. */
export async function markRead(chatId: string): Promise<void> {
  const chat = await db.chats.get(chatId);
  if (chat === undefined) return;
  const newest = await db.messages
    .where("[chatId+seq]")
    .between([chatId, 0], [chatId, Dexie.maxKey])
    .last();
  const seq = Math.max(chat.lastSeq, newest?.seq ?? 0);
  if (seq < 1) return;
  if (chat.readSeq < seq || chat.unread > 0) {
    await db.chats.update(chatId, { readSeq: seq, unread: 0 });
  }
  sendReceipt("read", chatId, seq);
}

/** Resolves once the socket is ready, or rejects when `signal` aborts. */
function untilOnline(signal?: AbortSignal): Promise<void> {
  if (connection.value === "online") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = connection.subscribe((state) => {
      if (state !== "online") return;
      queueMicrotask(() => stop());
      resolve();
    });
    signal?.addEventListener("abort", () => {
      stop();
      reject(new DOMException("loadOlder was aborted", "AbortError"));
    });
  });
}

/**
 * Loads the page before the oldest stored message of a chat. Waits for a
 * connection when offline. Returns false when no older messages exist.
 */
export async function loadOlder(
  chatId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const cursor = await db.cursors.get(chatId);
  if (cursor?.hasOlder === false) return false;
  const oldest = await db.messages
    .where("[chatId+seq]")
    .between([chatId, 0], [chatId, Dexie.maxKey])
    .first();
  const beforeSeq = oldest?.seq ?? cursor?.seq ?? 0;
  if (oldest !== undefined && beforeSeq <= 1) return false;
  await untilOnline(signal);
  const rid = newRid();
  expectOlderPage(rid, chatId);
  try {
    const reply = await request(rid, {
      type: "history",
      rid,
      chatId,
      beforeSeq: beforeSeq === 0 ? Number.MAX_SAFE_INTEGER : beforeSeq,
      limit: OLDER_PAGE,
    });
    return reply.type === "messages" && reply.hasMore;
  } catch (error) {
    // The connection dropped: older messages may still exist, so the
    // caller may ask again once it is back.
    if (error instanceof RequestLost) return true;
    throw error;
  }
}

/** Returns the first message from others after our read position. */
export async function firstUnreadId(chatId: string): Promise<string | null> {
  const chat = await db.chats.get(chatId);
  const me = session.value?.me.id;
  if (chat === undefined || me === undefined) return null;
  const row = await db.messages
    .where("[chatId+seq]")
    .between([chatId, chat.readSeq + 1], [chatId, Dexie.maxKey])
    .filter((m) => m.kind === "message" && m.senderId !== me && !m.hidden)
    .first();
  return row?.id ?? null;
}
