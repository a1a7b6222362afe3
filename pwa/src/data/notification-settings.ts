import { db } from "./db.ts";

/**
 * This device's notification preferences in `db.kv`, read by the page and
 * by the service worker.
 */

const NOTIFICATIONS_KEY = "notifications";

export interface NotificationSettings {
  /** Show the decrypted message text in notifications. */
  previews: boolean;
}

const DEFAULT_SETTINGS: NotificationSettings = { previews: true };

/** Reads the stored preferences, or the defaults for missing values. */
export async function loadNotificationSettings(): Promise<NotificationSettings> {
  const row = await db.kv.get(NOTIFICATIONS_KEY);
  const value = row?.value as Partial<NotificationSettings> | undefined;
  return {
    previews:
      typeof value?.previews === "boolean"
        ? value.previews
        : DEFAULT_SETTINGS.previews,
  };
}

export async function saveNotificationSettings(
  value: NotificationSettings,
): Promise<void> {
  await db.kv.put({ key: NOTIFICATIONS_KEY, value });
}
