import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ApiFailure } from "../../data/index.ts";

/**
 * A short message about an action that failed in the background (a click
 * whose request was rejected), shown at the bottom of the screen.
 */
const notice = signal<{ text: string; key: number } | null>(null);

const NOTICE_MS = 6000;

/** Returns the sentence to show for an error thrown by a data-layer action. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiFailure) {
    if (error.code === "rate_limited" && error.retryAfter !== undefined) {
      return `${error.message} Try again in ${Math.ceil(error.retryAfter)} s.`;
    }
    return error.message;
  }
  if (error instanceof Error && error.message !== "") return error.message;
  return "Something went wrong. Try again.";
}

export function showNotice(text: string) {
  notice.value = { text, key: Date.now() };
}

/** Runs an action and shows its error, if any, as a notice. */
export function run(task: () => Promise<unknown>): void {
  task().catch((error: unknown) => {
    showNotice(errorMessage(error));
  });
}

export function Notice() {
  const current = notice.value;
  useEffect(() => {
    if (current === null) return;
    const timer = setTimeout(() => {
      if (notice.value?.key === current.key) notice.value = null;
    }, NOTICE_MS);
    return () => clearTimeout(timer);
  }, [current]);
  return (
    <div class="notice" role="alert">
      {current !== null && (
        <span class="notice__text">
          {current.text}
          <button
            type="button"
            class="icon-button notice__close"
            aria-label="Dismiss"
            onClick={() => (notice.value = null)}
          >
            ×
          </button>
        </span>
      )}
    </div>
  );
}
