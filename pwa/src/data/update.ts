import type { Workbox } from "workbox-window";
import { updateReady } from "./state.ts";

let workbox: Workbox | null = null;

/**
 * Registers the service worker and raises `updateReady` when a new version
 * has installed and is waiting. The new worker takes over only through
 * `applyUpdate`, so an open page never runs half old and half new code.
 * workbox-window loads on demand, because the first screen does not need
 * it and the first screen's JavaScript has a size budget.
 */
export async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  const { Workbox } = await import("workbox-window");
  workbox = new Workbox("/sw.js", { scope: "/" });
  workbox.addEventListener("waiting", () => {
    updateReady.value = true;
  });
  // With clientsClaim in the worker, a first install takes control of
  // the page as well, which needs no reload.
  workbox.addEventListener("controlling", (event) => {
    if (event.isUpdate === true) window.location.reload();
  });
  await workbox.register();
}

/** Activates the waiting service worker; the page reloads once it controls. */
export function applyUpdate(): Promise<void> {
  workbox?.messageSkipWaiting();
  return Promise.resolve();
}
