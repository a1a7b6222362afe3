import { computed, signal } from "@preact/signals";

/**
 * A small path router over `history.pushState`. The Worker serves
 * index.html for every unknown path, so deep links such as /chat/:id work
 * after a reload.
 */

export type Route =
  | { name: "list" }
  | {
      name: "chat";
      chatId: string;
      messageId: string | null;
      /** Focus the composer (`?compose=1`, from a notification's Reply). */
      compose: boolean;
      /** Accept this call when it rings (`?call=`, from a notification). */
      callId: string | null;
    }
  | { name: "info"; chatId: string }
  | { name: "verify"; chatId: string }
  | { name: "new" }
  | { name: "newGroup" }
  | { name: "settings" }
  | { name: "devices" }
  | { name: "contacts" }
  | { name: "calls" };

const location = signal(readLocation());

function readLocation(): { path: string; search: string } {
  return { path: window.location.pathname, search: window.location.search };
}

window.addEventListener("popstate", () => {
  location.value = readLocation();
});

/** Parses a path and query string into a route; unknown paths show the list. */
export function parseRoute(path: string, search: string): Route {
  const parts = path.split("/").filter((part) => part !== "");
  const [first, second, third] = parts.map(decodeURIComponent);
  if (first === "chat" && second !== undefined) {
    if (third === "info") return { name: "info", chatId: second };
    if (third === "verify") return { name: "verify", chatId: second };
    const query = new URLSearchParams(search);
    const messageId = query.get("message");
    const compose = query.get("compose") === "1";
    const callId = query.get("call");
    return { name: "chat", chatId: second, messageId, compose, callId };
  }
  if (first === "calls") return { name: "calls" };
  if (first === "new") return { name: "new" };
  if (first === "new-group") return { name: "newGroup" };
  if (first === "contacts") return { name: "contacts" };
  if (first === "settings") {
    return second === "devices" ? { name: "devices" } : { name: "settings" };
  }
  return { name: "list" };
}

export const route = computed(() =>
  parseRoute(location.value.path, location.value.search),
);

/** Moves to `to` (a path with an optional query string). */
export function navigate(to: string, options: { replace?: boolean } = {}) {
  const current = window.location.pathname + window.location.search;
  if (to === current) return;
  if (options.replace === true) {
    history.replaceState({ depth: currentDepth() }, "", to);
  } else {
    history.pushState({ depth: currentDepth() + 1 }, "", to);
  }
  location.value = readLocation();
}

/** Number of in-app pages before this one in the session history. */
function currentDepth(): number {
  const state: unknown = history.state;
  if (typeof state === "object" && state !== null && "depth" in state) {
    return typeof state.depth === "number" ? state.depth : 0;
  }
  return 0;
}

/** Goes one step back, or to `fallback` when this page was opened directly. */
export function goBack(fallback = "/") {
  if (currentDepth() > 0) history.back();
  else navigate(fallback, { replace: true });
}

export function chatPath(chatId: string, messageId?: string): string {
  const base = `/chat/${encodeURIComponent(chatId)}`;
  return messageId === undefined ? base : `${base}?message=${messageId}`;
}

export function verifyPath(chatId: string): string {
  return `${chatPath(chatId)}/verify`;
}

/**
 * Handles a click on an in-app anchor: plain left clicks navigate inside the
 * app, while modified clicks (new tab, new window) keep the browser default.
 */
export function onLinkClick(event: MouseEvent, to: string) {
  if (
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  ) {
    return;
  }
  event.preventDefault();
  navigate(to);
}
