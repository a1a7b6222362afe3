import { useEffect } from "preact/hooks";
import { notificationState } from "../../data/index.ts";
import {
  dismissNotificationBanner,
  enableNotifications,
  notificationBannerDismissed,
  refreshNotificationState,
} from "../../data/notification-switch.ts";
import { run } from "../common/notice.tsx";

/**
 * Offers to turn on notifications, above the chat list of someone with at
 * least one chat, until they turn them on or pick "Not now". A browser
 * that blocked notifications is not asked again here, and Settings keeps
 * the switch and explains how to unblock them.
 */
export function NotificationBanner() {
  const allowed =
    "Notification" in window && Notification.permission !== "denied";
  const dismissed = notificationBannerDismissed.value;
  useEffect(() => {
    if (allowed && !dismissed) {
      run(() => refreshNotificationState());
    }
  }, []);
  if (!allowed || dismissed || notificationState.value !== "off") {
    return null;
  }
  return (
    <div class="notification-banner" role="region" aria-label="Notifications">
      <p class="notification-banner__text">
        Turn on notifications to hear about new messages while the app is
        closed.
      </p>
      <button
        type="button"
        class="button"
        onClick={() => run(enableNotifications)}
      >
        Turn on notifications
      </button>
      <button
        type="button"
        class="button button--secondary"
        onClick={dismissNotificationBanner}
      >
        Not now
      </button>
    </div>
  );
}
