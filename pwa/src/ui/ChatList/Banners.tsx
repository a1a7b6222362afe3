import { signal } from "@preact/signals";
import type { ComponentType } from "preact";

const stack = signal<ComponentType | null>(null);
let requested = false;

/**
 * Shows the banners above the chat list: chat history copied from another
 * device, and the offer to turn on notifications. They load on first
 * render, because the first screen has a size budget. The service worker
 * precaches their chunk, so a failed load is not tried again before the
 * next start.
 */
export function Banners() {
  if (!requested) {
    requested = true;
    void import("./BannerStack.tsx").then((module) => {
      stack.value = module.BannerStack;
    });
  }
  const Stack = stack.value;
  return Stack && <Stack />;
}
