import { signal } from "@preact/signals";
import { log } from "./log.ts";

/**
 * The device's storage: persistence, usage, and what happens when IndexedDB
 * is full. A write that fails for lack of space aborts its transaction, so
 * IndexedDB rolls it back and every row stored before stays as it was.
 */

/** True after a write failed because the device's storage is full. */
export const storageFull = signal(false);

/** The sentence shown when a write failed for lack of space. */
export const STORAGE_FULL_MESSAGE =
  "Storage is full. Free up space on this device, then try again. " +
  "Nothing already stored was lost.";

/**
 * Share of the quota in use above which an AbortError counts as a full
 * disk, because Chromium near its quota may abort a write transaction with
 * an AbortError in place of a QuotaExceededError.
 * NOTE: 90 % is an estimate; no test here filled a real Chromium quota.
 */
const NEAR_QUOTA_SHARE = 0.9;

/** Error of a write rejected because the device's storage is full. */
export class StorageFull extends Error {
  override name = "StorageFull";
  constructor(options?: ErrorOptions) {
    super(STORAGE_FULL_MESSAGE, options);
  }
}

/** Usage and quota in bytes, as `navigator.storage.estimate()` returns. */
export interface StorageUse {
  usage: number;
  quota: number;
}

/** Returns the error names along the `inner` (Dexie) and `cause` chain. */
function errorNames(error: unknown): string[] {
  const names: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object"; depth++) {
    if (current === null) break;
    const { name, inner, cause } = current as {
      name?: unknown;
      inner?: unknown;
      cause?: unknown;
    };
    if (typeof name === "string") names.push(name);
    current = inner ?? cause;
  }
  return names;
}

/**
 * Tells whether `error` from an IndexedDB write means the storage is full:
 * a QuotaExceededError anywhere in the chain, or an AbortError while usage
 * is above 90 % of the quota.
 */
export function isStorageFullError(
  error: unknown,
  use: StorageUse | null,
): boolean {
  const names = errorNames(error);
  if (names.includes("QuotaExceededError")) return true;
  if (!names.includes("AbortError") || use === null || use.quota <= 0) {
    return false;
  }
  return use.usage / use.quota >= NEAR_QUOTA_SHARE;
}

/** Returns storage usage and quota, or null where the browser has no API. */
export async function estimateStorage(): Promise<StorageUse | null> {
  if (typeof navigator === "undefined" || !navigator.storage?.estimate) {
    return null;
  }
  try {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    return { usage, quota };
  } catch (error) {
    log("storage_estimate_failed", { error: String(error) });
    return null;
  }
}

/**
 * Runs a storage write. When it fails because storage is full, raises
 * `storageFull` and rejects with StorageFull; other errors pass unchanged.
 */
export async function guardStorage<T>(write: () => Promise<T>): Promise<T> {
  try {
    const result = await write();
    return result;
  } catch (error) {
    if (!isStorageFullError(error, await estimateStorage())) throw error;
    log("storage_full", { error: String(error) });
    storageFull.value = true;
    throw new StorageFull({ cause: error });
  }
}

/**
 * Asks the browser to keep this origin's storage under storage pressure.
 * A refusal only means that the browser may evict the data under pressure,
 * so it is logged and not shown.
 */
export async function requestPersistentStorage(): Promise<void> {
  if (typeof navigator === "undefined" || !navigator.storage?.persist) return;
  try {
    if (await navigator.storage.persisted()) return;
    const granted = await navigator.storage.persist();
    log("storage_persist", { granted });
  } catch (error) {
    log("storage_persist_failed", { error: String(error) });
  }
}
