import { useEffect, useState } from "preact/hooks";
import {
  loadNotificationSettings,
  notificationState,
  saveNotificationSettings,
  type NotificationState,
} from "../../data/index.ts";
import {
  disableNotifications,
  enableNotifications,
  refreshNotificationState,
} from "../../data/notification-switch.ts";
import { errorMessage } from "../common/notice.tsx";

const STATE_TEXT: Record<NotificationState, string> = {
  checking: "Checking…",
  on: "Notifications are on for this device.",
  off: "Notifications are off for this device.",
  blocked:
    "Notifications are blocked in this browser. Allow them for this site " +
    "in the browser's site settings, then reload the app.",
  unsupported: "This browser does not support notifications.",
  unconfigured:
    "Notifications are not set up on this server. Ask its administrator " +
    "to configure Web Push keys.",
};

/** Renders the Notifications card: state, the on/off switch and previews. */
export function NotificationsSection() {
  const state = notificationState.value;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [previews, setPreviews] = useState<boolean | null>(null);

  useEffect(() => {
    refreshNotificationState().catch((failure: unknown) => {
      setError(`Could not check notifications. ${errorMessage(failure)}`);
    });
    void loadNotificationSettings().then((value) => {
      setPreviews(value.previews);
    });
  }, []);

  const toggle = async (on: boolean) => {
    setBusy(true);
    setError("");
    try {
      await (on ? enableNotifications() : disableNotifications());
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
  };

  const changePreviews = async (value: boolean) => {
    setPreviews(value);
    await saveNotificationSettings({ previews: value });
  };

  const switchable = state === "on" || state === "off";
  return (
    <section
      class="card"
      aria-labelledby="settings-notifications"
      aria-busy={busy}
    >
      <h2 id="settings-notifications">Notifications</h2>
      <p role="status">{STATE_TEXT[state]}</p>
      <label class="settings__toggle">
        <input
          type="checkbox"
          role="switch"
          checked={state === "on"}
          disabled={busy || !switchable}
          onChange={(event) => void toggle(event.currentTarget.checked)}
        />
        <span>Notifications on this device</span>
      </label>
      <label class="settings__toggle">
        <input
          type="checkbox"
          role="switch"
          checked={previews ?? true}
          disabled={previews === null}
          aria-describedby="previews-help"
          onChange={(event) => void changePreviews(event.currentTarget.checked)}
        />
        <span>Show message previews</span>
      </label>
      <p id="previews-help" class="field__hint">
        When this is off, notifications say "New message" without the text.
      </p>
      <p class="form-error" role="alert">
        {error}
      </p>
    </section>
  );
}
