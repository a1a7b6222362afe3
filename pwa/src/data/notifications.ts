import { signal } from "@preact/signals";
import { chatNotificationTag, PushStatus } from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { log } from "./log.ts";
import { ApiFailure } from "./types.ts";

/**
 * Notifications on this device: whether they are on, turning them on and
 * off, and keeping the subscription in step with the server.
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
function subscriptions() {
  return import("./push-subscription.ts");
}

function pushSupported(): boolean {
  return (
    "serviceWorker" in navigator &&
    "PushManager" in window &&
    "Notification" in window
  );
}

async function registration(): Promise<ServiceWorkerRegistration | null> {
  const current = await navigator.serviceWorker.getRegistration();
  return current ?? null;
}

/**
 * BroadcastChannel name for "notifications were turned on or off". The
 * tabs of one browser share its subscription, so each other tab reads
 * the state again when the message arrives.
 */
const STATE_CHANNEL = "messenger.notifications";

let stateChannel: BroadcastChannel | null = null;

function openStateChannel(): BroadcastChannel | null {
  if (stateChannel !== null || typeof BroadcastChannel === "undefined") {
    return stateChannel;
  }
  stateChannel = new BroadcastChannel(STATE_CHANNEL);
  stateChannel.onmessage = () => {
    readState()
      .then((state) => {
        notificationState.value = state;
      })
      .catch((error: unknown) => {
        log("push_state_refresh_failed", { error: String(error) });
      });
  };
  return stateChannel;
}

/** Posts to the other tabs that this tab turned notifications on or off. */
function announceStateChange(): void {
  openStateChannel()?.postMessage("changed");
}

/**
 * Reads the state of this device from the browser and the server, and
 * follows the changes that other tabs make from then on.
 */
export async function refreshNotificationState(): Promise<NotificationState> {
  openStateChannel();
  notificationState.value = await readState();
  return notificationState.value;
}

async function readState(): Promise<NotificationState> {
  if (!pushSupported()) return "unsupported";
  if ((await (await subscriptions()).fetchServerKey()) === null)
    return "unconfigured";
  if (Notification.permission === "denied") return "blocked";
  const status = await apiRequest("GET", "/push/subscription", PushStatus);
  const local = await (await registration())?.pushManager.getSubscription();
  return status.subscribed && local != null ? "on" : "off";
}

/**
 * Asks for the permission, subscribes this browser and stores the
 * subscription on the server. Raises an Error whose message is a sentence
 * for the person when any step fails.
 */
export async function enableNotifications(): Promise<void> {
  if (!pushSupported()) {
    throw new Error("This browser does not support notifications.");
  }
  const permission = await Notification.requestPermission();
  if (permission !== "granted") {
    notificationState.value = permission === "denied" ? "blocked" : "off";
    throw new Error(
      "Notifications are not allowed for this site. Allow them in the " +
        "browser's site settings, then try again.",
    );
  }
  const publicKey = await (await subscriptions()).fetchServerKey();
  if (publicKey === null) {
    notificationState.value = "unconfigured";
    throw new Error("Notifications are not set up on this server.");
  }
  const current = await registration();
  if (current === null) {
    throw new Error(
      "The app is not installed in this browser yet. Reload the page and " +
        "try again.",
    );
  }
  try {
    await (await subscriptions()).subscribeDevice(current, publicKey);
  } catch (error) {
    log("push_subscribe_failed", { error: String(error) });
    if (error instanceof ApiFailure) {
      throw new Error(error.message, { cause: error });
    }
    throw new Error(
      "The browser could not subscribe to notifications " +
        `(${errorName(error)}). Try again later.`,
      { cause: error },
    );
  }
  notificationState.value = "on";
  announceStateChange();
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : "error";
}

/** Unsubscribes this browser and deletes the server's copy. */
export async function disableNotifications(): Promise<void> {
  const current = await registration();
  if (current === null) {
    await apiRequest("DELETE", "/push/subscription", PushStatus);
  } else {
    await (await subscriptions()).unsubscribeDevice(current);
  }
  notificationState.value = "off";
  announceStateChange();
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

/** Marks the chat list's "Turn on notifications" banner as dismissed. */
const BANNER_DISMISSED_KEY = "messenger.notificationBannerDismissed";

export const notificationBannerDismissed = signal(
  typeof localStorage !== "undefined" &&
    localStorage.getItem(BANNER_DISMISSED_KEY) !== null,
);

/** Hides the banner on this device for good ("Not now"). */
export function dismissNotificationBanner(): void {
  localStorage.setItem(BANNER_DISMISSED_KEY, "1");
  notificationBannerDismissed.value = true;
}
