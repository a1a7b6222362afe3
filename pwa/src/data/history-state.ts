import { db } from "./db.ts";

/**
 * The state of the history banner above the chat list, stored in the `kv`
 * table so that every tab shows the progress of the leader tab's transfer:
 * - `waiting`: no other device has sent the history yet.
 * - `copying`: an archive is being imported; `progress` from 0 to 1.
 * - `copied`: imported from `fromDeviceName`.
 * - `unavailable`: skipped, or no other device sent it in time.
 * - `failed`: the archive could not be used, for `reason`.
 * - `none`: nothing to show, because there was nothing to copy.
 */
export interface HistoryBanner {
  phase: "waiting" | "copying" | "copied" | "unavailable" | "failed" | "none";
  fromDeviceName?: string | null;
  progress?: number;
  reason?: string;
  dismissed?: boolean;
}

export const HISTORY_BANNER_KEY = "history";

/** Reads the stored banner state, or undefined before the first check. */
export async function readHistoryBanner(): Promise<HistoryBanner | undefined> {
  const row = await db.kv.get(HISTORY_BANNER_KEY);
  return row?.value as HistoryBanner | undefined;
}

export async function writeHistoryBanner(value: HistoryBanner): Promise<void> {
  await db.kv.put({ key: HISTORY_BANNER_KEY, value });
}
