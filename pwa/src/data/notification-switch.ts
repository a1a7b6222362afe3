import { signal } from "@preact/signals";
import { PushStatus } from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { log } from "./log.ts";
import {
  notificationState,
  pushSupported,
  registration,
  subscriptions,
  type NotificationState,
} from "./notifications.ts";
import { ApiFailure } from "./types.ts";

/**
 * Turning notifications on and off, and the chat list's banner that
 * offers it. Only the Settings screen and the banner use these, so they
 * load with them and not with the first screen.
 */

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
