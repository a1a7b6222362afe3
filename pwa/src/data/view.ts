import { MAX_VIEW_LISTED } from "../../../protocol/index.ts";
import { mergeViews, type TabView } from "./relay.ts";
import { sendFrame } from "./wire.ts";

/**
 * What this device views: the `view` frame that decides which presence
 * and typing the server sends. Each tab tracks its own view. The leader
 * tab merges its view with those its followers send (see mergeViews), and
 * a follower hands its view to the leader through `setViewPublisher`.
 */

/** False in Node, where the unit tests load this module. */
const hasDocument = typeof document !== "undefined";
const hasWindow = typeof window !== "undefined";
/** Key of this tab's own view in `views`. */
const OWN_VIEW = "";
/** Input events closer together than this publish the view only once. */
const ACTIVITY_STEP_MS = 1_000;

let openChat: string | null = null;
let listed: string[] = [];
let activeAt = Date.now();
/** Views by tab id, this tab's under OWN_VIEW. Only the leader reads them. */
const views = new Map<string, TabView>();
/** Receives this tab's view in place of `views` while this tab follows. */
let publisher: ((view: TabView) => void) | null = null;
let lastSent = "";

/** Returns this tab's view. A hidden tab views nothing. */
export function ownView(): TabView {
  const visible = !hasDocument || document.visibilityState === "visible";
  const focused =
    hasDocument && typeof document.hasFocus === "function"
      ? document.hasFocus()
      : visible;
  return { chatId: openChat, listed, visible, focused, activeAt };
}

function publishOwnView(): void {
  const view = ownView();
  if (publisher !== null) {
    publisher(view);
    return;
  }
  views.set(OWN_VIEW, view);
  sendView(false);
}

/** Sets the open chat (from the router); null when none is open. */
export function viewChat(chatId: string | null): void {
  openChat = chatId;
  publishOwnView();
}

/** Sets the chat list rows on screen, top first. */
export function viewListed(chatIds: string[]): void {
  listed = chatIds.slice(0, MAX_VIEW_LISTED);
  publishOwnView();
}

/**
 * Sets where this tab's view goes: to the leader while following, or
 * (null) into this tab's own merge while leading. Publishes it there now.
 */
export function setViewPublisher(next: ((view: TabView) => void) | null) {
  publisher = next;
  views.clear();
  lastSent = "";
  publishOwnView();
}

/** Stores a follower's view, or deletes it (null), and sends the merge. */
export function setFollowerView(tabId: string, view: TabView | null): void {
  if (view === null) views.delete(tabId);
  else views.set(tabId, view);
  sendView(false);
}

/**
 * Sends the merged `view` when it changed, or always when `force` (after
 * `ready`). Does nothing in a follower, whose leader sends the view.
 */
export function sendView(force: boolean): void {
  if (publisher !== null) return;
  if (!views.has(OWN_VIEW)) views.set(OWN_VIEW, ownView());
  const frame = { type: "view" as const, ...mergeViews(views.values()) };
  const key = JSON.stringify(frame);
  if (!force && key === lastSent) return;
  if (sendFrame(frame)) lastSent = key;
}

/** Forgets the last view sent, because the socket closed. */
export function viewDisconnected(): void {
  lastSent = "";
}

function markActive(): void {
  activeAt = Date.now();
  publishOwnView();
}

function onInput(): void {
  if (Date.now() - activeAt >= ACTIVITY_STEP_MS) markActive();
}

if (hasDocument) {
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") markActive();
    else publishOwnView();
  });
}
if (hasWindow) {
  window.addEventListener("focus", markActive);
  window.addEventListener("blur", publishOwnView);
  const options = { capture: true, passive: true };
  window.addEventListener("pointerdown", onInput, options);
  window.addEventListener("keydown", onInput, options);
}
