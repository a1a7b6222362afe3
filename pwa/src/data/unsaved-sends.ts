import { db, pendingMessageRow } from "./db.ts";
import { log } from "./log.ts";
import { enqueue, pumpOutbox } from "./outbox.ts";
import { guardStorage } from "./storage.ts";

/**
 * A copy of each new send in localStorage, written synchronously when the
 * person presses Send. The composer empties at once, but the Dexie
 * transaction that queues the send may wait behind other writes (a sync
 * after a reload) for hundreds of milliseconds, and closing or reloading
 * the tab in that time aborts it. The copy survives, because localStorage
 * writes finish before the call returns, and the next start of the app
 * queues it. The copy is removed once the send is stored in Dexie.
 */

const KEY_PREFIX = "messenger.unsavedSend.";

/** A send as it was when the person pressed Send. */
export interface UnsavedSend {
  /** The message id (UUIDv7), also the outbox id. */
  id: string;
  chatId: string;
  /** The account that sent it. Another account never queues the copy. */
  userId: string;
  deviceId: string;
  text: string;
  replyTo: string | null;
  /** The encoded message body, as the outbox sends it. */
  body: string;
  /** Local time of the send, ms since the epoch. */
  ts: number;
}

/**
 * Stores a copy of `send`. Returns false when localStorage is missing or
 * full, so the send then relies on its Dexie write alone.
 */
export function saveUnsavedSend(send: UnsavedSend): boolean {
  if (typeof localStorage === "undefined") return false;
  try {
    localStorage.setItem(KEY_PREFIX + send.id, JSON.stringify(send));
    return true;
  } catch (error) {
    log("unsaved_send_copy_failed", {
      messageId: send.id,
      error: String(error),
    });
    return false;
  }
}

/** Removes the copy of the send `id` once Dexie contains it or it failed. */
export function forgetUnsavedSend(id: string): void {
  if (typeof localStorage === "undefined") return;
  try {
    localStorage.removeItem(KEY_PREFIX + id);
  } catch (error) {
    log("unsaved_send_forget_failed", { messageId: id, error: String(error) });
  }
}

function isUnsavedSend(value: unknown): value is UnsavedSend {
  if (typeof value !== "object" || value === null) return false;
  const send = value as Record<string, unknown>;
  const strings = ["id", "chatId", "userId", "deviceId", "text", "body"];
  return (
    strings.every((key) => typeof send[key] === "string") &&
    (send.replyTo === null || typeof send.replyTo === "string") &&
    typeof send.ts === "number"
  );
}

/**
 * Returns the stored copies, oldest first (UUIDv7 ids sort by time). An
 * unreadable copy is logged and removed.
 */
export function unsavedSends(): UnsavedSend[] {
  const sends: UnsavedSend[] = [];
  const keys: string[] = [];
  try {
    for (let index = 0; index < localStorage.length; index++) {
      const key = localStorage.key(index);
      if (key?.startsWith(KEY_PREFIX)) keys.push(key);
    }
  } catch {
    // No localStorage here, so no copies either.
    return sends;
  }
  for (const key of keys) {
    let value: unknown = null;
    try {
      value = JSON.parse(localStorage.getItem(key) ?? "null");
    } catch {
      // Reported below as invalid.
    }
    if (isUnsavedSend(value)) {
      sends.push(value);
    } else {
      log("unsaved_send_invalid", { key });
      localStorage.removeItem(key);
    }
  }
  return sends.sort((a, b) => a.id.localeCompare(b.id));
}

/** Removes every copy, as logging out wipes the other local data. */
export function forgetAllUnsavedSends(): void {
  for (const send of unsavedSends()) forgetUnsavedSend(send.id);
}

/**
 * Writes `send` to Dexie: its message row, pending, and its outbox entry
 * behind all others. Does nothing when the row exists already, because
 * another tab queued the same copy at its start.
 */
export async function storeSend(send: UnsavedSend): Promise<void> {
  const tables = [db.messages, db.outbox, db.chats];
  await db.transaction("rw", tables, async () => {
    if ((await db.messages.get(send.id)) !== undefined) return;
    const { id, chatId, body } = send;
    await db.messages.add(
      pendingMessageRow({
        id,
        chatId,
        senderId: send.userId,
        senderDeviceId: send.deviceId,
        ts: send.ts,
        text: send.text,
        replyTo: send.replyTo,
        media: null,
        body,
      }),
    );
    await enqueue({ id, chatId, kind: "message", body, attempts: 0 });
    await db.chats.update(chatId, { lastActivityAt: send.ts });
  });
}

/**
 * Queues the sends of `userId` whose tab closed before they were stored,
 * then wakes the outbox. Copies of another account are dropped.
 * NOTE: such a send goes out behind what other tabs queued since it was
 * written, so it may arrive after messages written later.
 */
export async function queueUnsavedSends(userId: string): Promise<void> {
  const sends = unsavedSends();
  if (sends.length === 0) return;
  for (const send of sends) {
    if (send.userId === userId) {
      try {
        await guardStorage(() => storeSend(send));
      } catch (error) {
        // The copy stays, so the next start tries again.
        log("unsaved_send_queue_failed", {
          chatId: send.chatId,
          messageId: send.id,
          error: String(error),
        });
        continue;
      }
      log("unsaved_send_queued", { chatId: send.chatId, messageId: send.id });
    }
    forgetUnsavedSend(send.id);
  }
  await pumpOutbox();
}
