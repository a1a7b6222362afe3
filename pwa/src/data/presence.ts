import { signal } from "@preact/signals";
import {
  type Presence,
  type ServerFrame,
  type TypingState,
} from "../../../protocol/index.ts";
import { log } from "./log.ts";
import type { PresenceSnapshot } from "./relay.ts";
import { sendFrame } from "./wire.ts";

export { sendView, viewChat, viewListed } from "./view.ts";

/**
 * Presence and typing of other people, in memory only: both are pushed
 * again after every reconnect for what the device views, so nothing here
 * needs to survive a reload.
 */

type PresenceFrame = Extract<ServerFrame, { type: "presence" }>;
type TypingFrame = Extract<ServerFrame, { type: "typing" }>;

/** A member's composer state, with its expiry in this device's clock. */
export interface TypingEntry {
  userId: string;
  state: Exclude<TypingState, "idle">;
  expiresAt: number;
}

/** Presence by user id, as the server last sent it. */
export const presenceByUser = signal<ReadonlyMap<string, Presence>>(new Map());

/** Typing members by chat id. */
export const typingByChat = signal<ReadonlyMap<string, TypingEntry[]>>(
  new Map(),
);

/** Server time minus local time, from the last `ready`, in ms. */
let clockOffset = 0;
let pruneTimer: ReturnType<typeof setTimeout> | undefined;

export function setServerTime(serverTime: number): void {
  clockOffset = serverTime - Date.now();
}

/** Returns the server's clock now, as of the last `ready`, in ms. */
export function serverNow(): number {
  return Date.now() + clockOffset;
}

export function applyPresence(frame: PresenceFrame): void {
  const next = new Map(presenceByUser.value);
  next.set(frame.userId, { online: frame.online, lastSeen: frame.lastSeen });
  presenceByUser.value = next;
}

export function applyTyping(frame: TypingFrame): void {
  const others = (typingByChat.value.get(frame.chatId) ?? []).filter(
    (entry) => entry.userId !== frame.userId,
  );
  if (frame.state !== "idle") {
    others.push({
      userId: frame.userId,
      state: frame.state,
      expiresAt: frame.expiresAt - clockOffset,
    });
  }
  setChatTyping(frame.chatId, others);
  schedulePrune();
}

/** Drops a member's indicator, because a message from them arrived. */
export function clearTyping(chatId: string, userId: string): void {
  const entries = typingByChat.value.get(chatId);
  if (entries === undefined) return;
  setChatTyping(
    chatId,
    entries.filter((entry) => entry.userId !== userId),
  );
}

/** Forgets every indicator, because the socket closed. */
export function clearAllTyping(): void {
  if (typingByChat.value.size > 0) typingByChat.value = new Map();
}

function setChatTyping(chatId: string, entries: TypingEntry[]): void {
  const next = new Map(typingByChat.value);
  if (entries.length === 0) next.delete(chatId);
  else next.set(chatId, entries);
  typingByChat.value = next;
}

/** Removes expired indicators, then waits for the next expiry. */
function prune(): void {
  const now = Date.now();
  const next = new Map<string, TypingEntry[]>();
  let changed = false;
  for (const [chatId, entries] of typingByChat.value) {
    const live = entries.filter((entry) => entry.expiresAt > now);
    if (live.length !== entries.length) changed = true;
    if (live.length > 0) next.set(chatId, live);
  }
  if (changed) typingByChat.value = next;
  schedulePrune();
}

function schedulePrune(): void {
  clearTimeout(pruneTimer);
  let earliest = Infinity;
  for (const entries of typingByChat.value.values()) {
    for (const entry of entries) earliest = Math.min(earliest, entry.expiresAt);
  }
  if (earliest === Infinity) return;
  pruneTimer = setTimeout(prune, Math.max(0, earliest - Date.now()) + 50);
}

/** Returns presence and typing as held now, for a tab that joins. */
export function presenceSnapshot(): PresenceSnapshot {
  return {
    clockOffset,
    presence: [...presenceByUser.value].map(([userId, presence]) => ({
      userId,
      presence,
    })),
    typing: [...typingByChat.value].map(([chatId, entries]) => ({
      chatId,
      entries,
    })),
  };
}

/** Replaces presence and typing with what the leader tab holds. */
export function adoptPresenceSnapshot(snapshot: PresenceSnapshot): void {
  clockOffset = snapshot.clockOffset;
  presenceByUser.value = new Map(
    snapshot.presence.map((row) => [row.userId, row.presence]),
  );
  typingByChat.value = new Map(
    snapshot.typing.map((row) => [row.chatId, row.entries]),
  );
  schedulePrune();
}

/** Applies a server frame that the leader tab relayed to this follower. */
export function applyRelayedFrame(frame: ServerFrame): void {
  switch (frame.type) {
    case "ready":
      setServerTime(frame.serverTime);
      return;
    case "presence":
      applyPresence(frame);
      return;
    case "typing":
      applyTyping(frame);
      return;
    default:
      log("tab_relay_ignored", { type: frame.type });
  }
}

/** Presence of `userId` as last sent; undefined until the server sends it. */
export function usePresence(userId: string | null): Presence | undefined {
  return userId === null ? undefined : presenceByUser.value.get(userId);
}

/** Members typing in `chatId` now, in the order they started. */
export function useTyping(chatId: string): TypingEntry[] {
  return typingByChat.value.get(chatId) ?? [];
}

// ---- this device's composer ------------------------------------------------

/** "typing" repeats at most this often while keys keep coming. */
const TYPING_REPEAT_MS = 3_000;
/** Without a keystroke for this long, the composer counts as idle. */
const TYPING_IDLE_MS = 5_000;

let typingChat: string | null = null;
let typingSentAt = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

/** Reports the composer text of `chatId` after a keystroke. */
export function composerChanged(chatId: string, text: string): void {
  if (text.trim() === "") {
    composerIdle(chatId);
    return;
  }
  if (typingChat !== null && typingChat !== chatId) composerIdle(typingChat);
  const now = Date.now();
  if (typingChat !== chatId || now - typingSentAt >= TYPING_REPEAT_MS) {
    if (sendFrame({ type: "typing", chatId, state: "typing" })) {
      typingChat = chatId;
      typingSentAt = now;
    }
  }
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => composerIdle(chatId), TYPING_IDLE_MS);
}

/** Reports that the person stopped typing in `chatId` (sent, cleared, left). */
export function composerIdle(chatId: string): void {
  if (typingChat !== chatId) return;
  clearTimeout(idleTimer);
  typingChat = null;
  typingSentAt = 0;
  sendFrame({ type: "typing", chatId, state: "idle" });
}

/** Forgets the composer state, because the socket closed. */
export function composerDisconnected(): void {
  clearTimeout(idleTimer);
  typingChat = null;
  typingSentAt = 0;
}
