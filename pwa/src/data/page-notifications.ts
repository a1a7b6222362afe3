import type { StoredMessage } from "../../../protocol/index.ts";
import type { NotifyMessage } from "../../../protocol/service-worker.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { notificationTextOf } from "./rows.ts";

/**
 * Notifications for messages that arrive over the socket while the app
 * is open but hidden or in a window without focus. The server pushes only
 * to devices without a live socket, so without this a person with the app
 * in a background tab would hear nothing. The service worker shows the
 * same notification a push would, with the text this page decrypted.
 */

/** Tells whether the person is looking at this page right now. */
function pageInUse(): boolean {
  return document.visibilityState === "visible" && document.hasFocus();
}

/**
 * Asks the service worker to notify about the newest message from someone
 * else among `messages`, live messages of one chat just stored, unless
 * this page is in use, notifications are off on this device, or the chat
 * is muted.
 */
export async function notifyLiveMessages(
  chatId: string,
  messages: StoredMessage[],
  me: string,
): Promise<void> {
  const newest = messages.findLast(
    (m) => m.kind === "message" && m.senderId !== me && !m.deleted,
  );
  if (typeof document === "undefined" || typeof window === "undefined") {
    return;
  }
  if (newest === undefined || pageInUse()) return;
  if (!("serviceWorker" in navigator) || !("Notification" in window)) return;
  if (Notification.permission !== "granted") return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    const worker = registration?.active;
    if (registration === undefined || worker == null) return;
    // Notifications are on for a device while it has a subscription.
    if ((await registration.pushManager.getSubscription()) === null) return;
    const [chat, row] = await Promise.all([
      db.chats.get(chatId),
      db.messages.get(newest.id),
    ]);
    if (chat === undefined || chat.mutedUntil > Date.now()) return;
    const message: NotifyMessage = {
      type: "notify_message",
      payload: {
        v: 1,
        type: "message",
        chatId,
        id: newest.id,
        seq: newest.seq,
        senderId: newest.senderId,
        ts: newest.ts,
        unread: Math.max(chat.unread, 1),
      },
      text: row === undefined ? "" : notificationTextOf(row.text, row.media),
    };
    worker.postMessage(message);
  } catch (error) {
    log("page_notify_failed", { chatId, error: String(error) });
  }
}
