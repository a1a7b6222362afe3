import { HistoryStatus } from "../../../protocol/history.ts";
import { apiRequest } from "./api.ts";
import { dispatchEncryptionFrame } from "./encryption-events.ts";
import { readHistoryBanner, writeHistoryBanner } from "./history-state.ts";

/**
 * The history banner's actions, apart from history-state.ts so that only
 * the banner's chunk loads them.
 */

/** Hides the banner until the transfer changes phase. */
export async function dismissHistoryBanner(): Promise<void> {
  const current = await readHistoryBanner();
  if (current !== undefined) {
    await writeHistoryBanner({ ...current, dismissed: true });
  }
}

/** Stops waiting for the history: the server marks the transfer skipped. */
export async function skipHistory(): Promise<void> {
  await apiRequest("DELETE", "/history", HistoryStatus);
  await writeHistoryBanner({ phase: "unavailable" });
}

/**
 * Checks the transfer again in the tab that runs the encryption engine.
 * In another tab the check waits until that tab leads and starts one.
 */
export function retryHistory(): void {
  dispatchEncryptionFrame({ type: "history.ready" });
}
