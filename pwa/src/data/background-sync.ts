import { OUTBOX_SYNC_TAG } from "../../../protocol/index.ts";
import { log } from "./log.ts";

/**
 * The Background Sync API, which Chromium-based browsers have and
 * TypeScript's DOM library does not declare.
 */
interface SyncManager {
  register(tag: string): Promise<void>;
}

/**
 * Requests a Background Sync of the outbox, so that the service worker sends
 * it once the network is back even if every page of the app is closed by
 * then. Does nothing where the browser lacks Background Sync or no service
 * worker is registered; the outbox then goes out at the next start. Never
 * rejects: a failed registration is logged.
 */
export async function requestOutboxSync(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    if (registration === undefined || !("sync" in registration)) return;
    const sync = registration.sync as SyncManager;
    await sync.register(OUTBOX_SYNC_TAG);
  } catch (error) {
    log("background_sync_register_failed", { error: String(error) });
  }
}
