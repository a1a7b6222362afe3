import { signal } from "@preact/signals";
import { chatNotificationTag, PushStatus } from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { log } from "./log.ts";

/**
 * Notifications on this device: whether they are on, and keeping the
 * subscription in step with the server. Turning them on and off is in
 * notification-switch.ts.
 */

/**
 * - `unsupported`: the browser has no Push API or service worker.
 * - `unconfigured`: the server has no VAPID keys (GET /api/push/key 503).
 * - `blocked`: the person denied the permission in the browser.
 */
export type NotificationState =
  "checking" | "unsupported" | "unconfigured" | "blocked" | "off" | "on";

export const notificationState = signal<NotificationState>("checking");

/**
 * Loads the subscription module on first use, because the first screen
 * has a size budget and most starts never subscribe.
 */
export function subscriptions() {
  return import("./push-subscription.ts");
}

export function pushSupported(): boolean {
  return (
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window
  );
}

export async function registration(): Promise<ServiceWorkerRegistration | null> {
  const current = await navigator.serviceWorker.getRegistration();
  return current ?? null;
}

/**
 * Subscribes again at startup when notifications are on for this device
 * but the browser's subscription is gone or was made with an older server
 * key. Failures are logged, and the Settings screen shows the state.
 */
export function checkSubscription(): Promise<void> {
  checking ??= checkSubscriptionOnce().finally(() => {
    checking = null;
  });
  return checking;
}

/** The startup check in progress, which a logout waits for. */
let checking: Promise<void> | null = null;

async function checkSubscriptionOnce(): Promise<void> {
  if (!pushSupported() || Notification.permission !== "granted") return;
  try {
    const status = await apiRequest("GET", "/push/subscription", PushStatus);
    if (!status.subscribed) return;
    const publicKey = await (await subscriptions()).fetchServerKey();
    const current = await registration();
    if (publicKey === null || current === null) return;
    const local = await current.pushManager.getSubscription();
    if (
      local !== null &&
      (await subscriptions()).usesServerKey(local, publicKey)
    )
      return;
    log("push_resubscribing", { reason: local === null ? "gone" : "key" });
    await (await subscriptions()).subscribeDevice(current, publicKey);
  } catch (error) {
    log("push_check_failed", { error: String(error) });
  }
}

/**
 * Unsubscribes before a logout ends the session, which the DELETE needs.
 * Failures (offline, say) are logged, because the server deletes the
 * subscription with the session anyway.
 */
export async function unsubscribeForLogout(): Promise<void> {
  if (!pushSupported()) return;
  // A check still running could subscribe again after the unsubscribe.
  await checking;
  try {
    const current = await registration();
    const local = await current?.pushManager.getSubscription();
    if (current === null || local == null) return;
    await (await subscriptions()).unsubscribeDevice(current);
  } catch (error) {
    log("push_logout_unsubscribe_failed", { error: String(error) });
  }
  notificationState.value = "checking";
}

/**
 * Closes the notifications of a chat that is now on screen, or with
 * `seq`, only one that shows that message (deleted for everyone).
 */
export async function closeChatNotifications(
  chatId: string,
  seq?: number,
): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  const current = await registration();
  if (current === null) return;
  const tag = chatNotificationTag(chatId);
  for (const notification of await current.getNotifications({ tag })) {
    const shown = notification.data as { seq?: unknown } | null;
    if (seq === undefined || shown?.seq === seq) notification.close();
  }
}
