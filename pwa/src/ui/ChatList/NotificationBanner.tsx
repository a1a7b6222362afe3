import { useEffect } from "preact/hooks";
import {
  dismissNotificationBanner,
  enableNotifications,
  notificationBannerDismissed,
  notificationState,
  refreshNotificationState,
} from "../../data/index.ts";
import { run } from "../common/notice.tsx";

/**
 * Offers to turn on notifications, above the chat list of someone with at
 * least one chat, until they turn them on or pick "Not now". A browser
 * that already decided (allowed or blocked) is not asked again here, and
 * Settings keeps the switch.
 */
export function NotificationBanner() {
  const undecided =
    "Notification" in window && Notification.permission === "default";
  const dismissed = notificationBannerDismissed.value;
  useEffect(() => {
    if (undecided && !dismissed) {
      run(() => refreshNotificationState());
    }
  }, []);
  if (!undecided || dismissed || notificationState.value !== "off") {
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
