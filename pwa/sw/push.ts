/// <reference lib="webworker" />
import {
  callNotificationTag,
  chatNotificationTag,
  PushPayload,
} from "../../protocol/index.ts";
import type { NotifyMessage } from "../../protocol/service-worker.ts";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { clipPreview, openPreview } from "../src/crypto/preview.ts";
import { db, loadSession } from "../src/data/db.ts";
import { log } from "../src/data/log.ts";
import { contactsByUserId } from "../src/data/names.ts";
import { loadNotificationSettings } from "../src/data/notification-settings.ts";
import {
  fetchServerKey,
  subscribeDevice,
} from "../src/data/push-subscription.ts";
import { chatTitle, makeNameOf } from "../src/data/rows.ts";
import {
  callNotificationText,
  messageNotificationText,
  NEW_MESSAGE_TEXT,
} from "./notification-text.ts";

/**
 * Push events. Each chat has at most one notification (tag
 * `chatNotificationTag`), replaced by the next message.
 */

declare const self: ServiceWorkerGlobalScope;

type MessagePayload = Extract<PushPayload, { type: "message" }>;
type CallPayload = Extract<PushPayload, { type: "call" }>;

/** The `data` of a notification, read back on a click. */
export type NotificationData =
  | { kind: "message"; chatId: string; seq: number }
  | { kind: "call"; chatId: string; callId: string }
  | { kind: "generic" };

/**
 * Options Chromium supports beyond the WebWorker library of TypeScript
 * 5.x: `renotify` alerts again when a tag is replaced, `actions` adds
 * buttons.
 */
interface ChromiumNotificationOptions extends NotificationOptions {
  renotify?: boolean;
  timestamp?: number;
  actions?: { action: string; title: string }[];
  data: NotificationData;
}

const ICON = "/icons/icon-192.png";

/**
 * Shows or closes notifications for one push event. A failure shows a
 * generic notification, because a push with `userVisibleOnly` must show
 * one.
 */
export async function handlePush(data: PushMessageData | null): Promise<void> {
  try {
    await showPayload(parsePayload(data));
  } catch (error) {
    log("sw.push_failed", { error: String(error) });
    await show(NEW_MESSAGE_TEXT, { body: "", data: { kind: "generic" } });
  }
}

async function showPayload(payload: PushPayload | null): Promise<void> {
  if (payload === null) {
    await show(NEW_MESSAGE_TEXT, { body: "", data: { kind: "generic" } });
    return;
  }
  switch (payload.type) {
    case "message":
      return showMessage(payload);
    case "read":
      return closeRead(payload.chatId, payload.readSeq);
    case "deleted":
      return closeDeleted(payload.chatId, payload.seq);
    case "call":
      return showCall(payload);
    case "call.end":
      return closeTag(callNotificationTag(payload.callId));
    default: {
      const unhandled: never = payload;
      return unhandled;
    }
  }
}

function parsePayload(data: PushMessageData | null): PushPayload | null {
  let json: unknown;
  try {
    json = data?.json();
  } catch {
    log("sw.push_invalid", { reason: "not JSON" });
    return null;
  }
  const parsed = PushPayload.safeParse(json);
  if (!parsed.success) {
    log("sw.push_invalid", { reason: parsed.error.issues[0]?.message });
    return null;
  }
  return parsed.data;
}

async function show(
  title: string,
  options: ChromiumNotificationOptions,
): Promise<void> {
  await self.registration.showNotification(title, { icon: ICON, ...options });
}

// NOTE: a muted, read or focused chat shows nothing, although the push was
// sent with userVisibleOnly. The server skips muted and viewed chats, and
// a message is unread when it is pushed, so this happens only in races,
// and Chromium tolerates an occasional silent push.
async function showMessage(
  payload: MessagePayload,
  knownText: string | null = null,
): Promise<void> {
  const ids = { chatId: payload.chatId, messageId: payload.id };
  const chat = await db.chats.get(payload.chatId);
  if (chat !== undefined && chat.mutedUntil > Date.now()) {
    log("sw.push_muted", ids);
    return;
  }
  // A push can arrive after this device synced and read past it, when the
  // browser's push connection comes back later than the app's socket.
  if (chat !== undefined && chat.readSeq >= payload.seq) {
    log("sw.push_already_read", ids);
    await closeRead(payload.chatId, chat.readSeq);
    return;
  }
  if (await isChatOnScreen(payload.chatId)) {
    log("sw.push_on_screen", ids);
    return;
  }
  const settings = await loadNotificationSettings();
  const names = await loadNames(payload.senderId, chat?.peerId ?? null);
  let previewText: string | null = null;
  if (settings.previews) {
    previewText =
      knownText === null ? await readPreview(payload) : clipPreview(knownText);
  }
  const text = messageNotificationText({
    chat:
      chat === undefined
        ? null
        : { kind: chat.kind, title: chatTitle(chat, names) },
    senderName: makeNameOf(names)(payload.senderId),
    unread: payload.unread,
    previewText,
    previewsEnabled: settings.previews,
  });
  await show(text.title, {
    body: text.body,
    tag: chatNotificationTag(payload.chatId),
    renotify: true,
    timestamp: payload.ts,
    actions: [
      { action: "reply", title: "Reply" },
      { action: "read", title: "Mark as read" },
    ],
    data: { kind: "message", chatId: payload.chatId, seq: payload.seq },
  });
}

async function showCall(payload: CallPayload): Promise<void> {
  const names = await loadNames(payload.callerId, null);
  const text = callNotificationText(
    payload.video,
    makeNameOf(names)(payload.callerId),
  );
  await show(text.title, {
    body: text.body,
    tag: callNotificationTag(payload.callId),
    requireInteraction: true,
    actions: [
      { action: "answer", title: "Answer" },
      { action: "decline", title: "Decline" },
    ],
    data: {
      kind: "call",
      chatId: payload.chatId,
      callId: payload.callId,
    },
  });
}

/** Formats a number as the app shows it: "+49 30 1234567". */
function formatPhone(e164: string): string {
  return parsePhoneNumberFromString(e164)?.formatInternational() ?? e164;
}

/** Reads the names of `userIds` as the app shows them. */
async function loadNames(...userIds: (string | null)[]) {
  const ids = userIds.filter((id): id is string => id !== null);
  const [session, contacts, profiles] = await Promise.all([
    loadSession(),
    db.contacts.where("userId").anyOf(ids).toArray(),
    db.profiles.bulkGet(ids),
  ]);
  return {
    me: session?.me.id ?? "",
    formatPhone,
    contacts: contactsByUserId(contacts),
    profiles: new Map(
      profiles
        .filter((profile) => profile !== undefined)
        .map((profile) => [profile.id, profile]),
    ),
  };
}

/**
 * Shows the notification of a message that reached a hidden or unfocused
 * page over its socket (`NotifyMessage`), unless another window of the
 * app is visible and focused, or the message is no longer unread.
 */
export async function handleNotifyMessage(
  message: NotifyMessage,
  senderClientId: string,
): Promise<void> {
  const windows = await appWindows();
  const inUse = windows.some(
    (client) =>
      client.id !== senderClientId &&
      client.visibilityState === "visible" &&
      client.focused,
  );
  if (inUse) return;
  const chat = await db.chats.get(message.payload.chatId);
  if (chat !== undefined && chat.readSeq >= message.payload.seq) return;
  try {
    await showMessage(
      message.payload,
      message.text === "" ? null : message.text,
    );
  } catch (error) {
    log("sw.notify_failed", {
      chatId: message.payload.chatId,
      error: String(error),
    });
  }
}

async function readPreview(payload: MessagePayload): Promise<string | null> {
  if (payload.preview === undefined) return null;
  try {
    return await openPreview(db, payload.chatId, payload.id, payload.preview);
  } catch (error) {
    log("sw.preview_failed", { chatId: payload.chatId, error: String(error) });
    return null;
  }
}

export function chatPath(chatId: string): string {
  return `/chat/${encodeURIComponent(chatId)}`;
}

export async function appWindows(): Promise<readonly WindowClient[]> {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true });
}

/** Tells whether a visible, focused window of the app shows the chat. */
async function isChatOnScreen(chatId: string): Promise<boolean> {
  const path = chatPath(chatId);
  const windows = await appWindows();
  return windows.some(
    (client) =>
      client.visibilityState === "visible" &&
      client.focused &&
      new URL(client.url).pathname === path,
  );
}

async function closeTag(tag: string): Promise<void> {
  const notifications = await self.registration.getNotifications({ tag });
  for (const notification of notifications) notification.close();
}

/** Closes the chat's notification when it shows the deleted message. */
async function closeDeleted(chatId: string, seq: number): Promise<void> {
  const tag = chatNotificationTag(chatId);
  const notifications = await self.registration.getNotifications({ tag });
  for (const notification of notifications) {
    const data = notification.data as NotificationData | null;
    if (data?.kind === "message" && data.seq === seq) notification.close();
  }
}

/** Closes the chat's notification when it shows a message up to `readSeq`. */
async function closeRead(chatId: string, readSeq: number): Promise<void> {
  const tag = chatNotificationTag(chatId);
  const notifications = await self.registration.getNotifications({ tag });
  for (const notification of notifications) {
    const data = notification.data as NotificationData | null;
    if (data?.kind === "message" && data.seq <= readSeq) notification.close();
  }
}

/**
 * Subscribes again after the browser dropped or renewed the subscription
 * (`pushsubscriptionchange`), and stores the new one on the server. A
 * device that is signed out stays unsubscribed.
 */
export async function resubscribe(): Promise<void> {
  if ((await loadSession()) === null) return;
  try {
    const publicKey = await fetchServerKey();
    if (publicKey === null) {
      log("sw.resubscribe_skipped", { reason: "no server key" });
      return;
    }
    await subscribeDevice(self.registration, publicKey);
    log("sw.resubscribed");
  } catch (error) {
    log("sw.resubscribe_failed", { error: String(error) });
  }
}
