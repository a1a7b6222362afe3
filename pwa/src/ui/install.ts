import { signal } from "@preact/signals";

/**
 * The `beforeinstallprompt` event (Chromium only, not in the DOM typings),
 * kept so that an "Install app" button can show the browser's prompt later.
 */
interface InstallPromptEvent extends Event {
  prompt(): Promise<void>;
  userChoice: Promise<{ outcome: "accepted" | "dismissed" }>;
}

export const installPrompt = signal<InstallPromptEvent | null>(null);

window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  installPrompt.value = event as InstallPromptEvent;
});

window.addEventListener("appinstalled", () => {
  installPrompt.value = null;
});

/** Shows the browser's install prompt; each event can prompt only once. */
export async function installApp(): Promise<void> {
  const event = installPrompt.value;
  if (event === null) return;
  installPrompt.value = null;
  await event.prompt();
}
