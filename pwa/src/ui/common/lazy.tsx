import { signal } from "@preact/signals";
import type { ComponentType, JSX } from "preact";

/** A screen loaded on demand; `preload` starts the download early. */
export interface LazyScreen<Props> {
  (props: Props): JSX.Element | null;
  preload(): void;
}

/**
 * Wraps a screen that lives in its own chunk, so the first screen does not
 * download it. The chunk loads on the first render, and a placeholder shows
 * until it has loaded or after a failed load; `fallback` replaces that
 * placeholder, such as null for a part of a screen. The service worker precaches every
 * chunk, so an installed app loads them offline too.
 */
export function lazyScreen<Props extends object>(
  name: string,
  load: () => Promise<ComponentType<Props>>,
  fallback?: JSX.Element | null,
): LazyScreen<Props> {
  let screen: ComponentType<Props> | null = null;
  let loading: Promise<void> | null = null;
  const state = signal<"loading" | "loaded" | "failed">("loading");

  function start() {
    loading ??= load().then(
      (component) => {
        screen = component;
        state.value = "loaded";
      },
      (error: unknown) => {
        console.error(
          JSON.stringify({
            event: "chunk_load_failed",
            name,
            error: String(error),
          }),
        );
        loading = null;
        state.value = "failed";
      },
    );
  }

  function LazyScreen(props: Props) {
    const current = state.value;
    if (screen !== null) {
      const Screen = screen;
      return <Screen {...props} />;
    }
    if (fallback !== undefined) {
      start();
      return fallback;
    }
    if (current === "failed") {
      return (
        <div class="placeholder">
          <p>This screen could not be loaded. Check your connection.</p>
          <button
            type="button"
            onClick={() => {
              state.value = "loading";
              start();
            }}
          >
            Try again
          </button>
        </div>
      );
    }
    start();
    return <div class="placeholder">Loading…</div>;
  }
  LazyScreen.preload = start;
  return LazyScreen;
}
