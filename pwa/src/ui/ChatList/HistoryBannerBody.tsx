import {
  dismissHistoryBanner,
  retryHistory,
  skipHistory,
} from "../../data/history-actions.ts";
import {
  readHistoryBanner,
  type HistoryBanner,
} from "../../data/history-state.ts";
import { useLiveQuery } from "../../data/hooks.ts";
import { run } from "../common/notice.tsx";

/** Returns the banner's sentence for a phase, or null for `none`. */
function bannerText(state: HistoryBanner): string | null {
  switch (state.phase) {
    case "waiting":
      return "Getting your chat history from your other device. Keep it open and online.";
    case "copying":
      return `Copying chat history… ${Math.round((state.progress ?? 0) * 100)}%`;
    case "copied":
      return `Chat history copied from ${state.fromDeviceName ?? "your other device"}.`;
    case "unavailable":
      return "Messages from before this device was linked are not on this device.";
    case "failed": {
      // Server messages end with a period, and the sentence adds its own.
      const reason = (state.reason ?? "unknown error").replace(/\.$/, "");
      return `Chat history could not be copied: ${reason}.`;
    }
    case "none":
      return null;
  }
}

/** Renders the history banner and its buttons from the stored state. */
export function HistoryBannerBody() {
  const state = useLiveQuery(readHistoryBanner, []);
  if (state === undefined || state.dismissed === true) return null;
  const text = bannerText(state);
  if (text === null) return null;
  const dismissible = state.phase === "copied" || state.phase === "unavailable";
  return (
    <div class="notification-banner" role="region" aria-label="Chat history">
      <p class="notification-banner__text" role="status">
        {text}
      </p>
      {state.phase === "waiting" && (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => run(skipHistory)}
        >
          Skip
        </button>
      )}
      {state.phase === "failed" && (
        <button type="button" class="button" onClick={retryHistory}>
          Retry
        </button>
      )}
      {dismissible && (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => run(dismissHistoryBanner)}
        >
          Dismiss
        </button>
      )}
    </div>
  );
}
