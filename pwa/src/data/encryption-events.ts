import type { ServerFrame } from "../../../protocol/index.ts";

/** The server frames that concern end-to-end encryption. */
export type EncryptionFrame = Extract<
  ServerFrame,
  { type: "mls.pending" | "keys.low" | "history.request" | "history.ready" }
>;

type Listener = (frame: EncryptionFrame) => void;

const listeners = new Set<Listener>();

/**
 * Frames that came before the engine loaded. The server sends
 * `history.request` right after `ready`, so it often beats the engine.
 * Only a leader tab whose engine failed to start keeps adding to it, so
 * it keeps the newest MAX_HELD_FRAMES.
 */
const held: EncryptionFrame[] = [];

/** Frames kept for an engine that has not loaded, newest last. */
export const MAX_HELD_FRAMES = 100;

/**
 * Lets the encryption engine, which loads on demand, hear its frames from
 * the socket, beginning with the frames held for it. Returns a
 * function that stops listening.
 */
export function onEncryptionFrame(listener: Listener): () => void {
  listeners.add(listener);
  for (const frame of held.splice(0)) listener(frame);
  return () => listeners.delete(listener);
}

/** Hands an encryption frame to every listener. */
export function dispatchEncryptionFrame(frame: EncryptionFrame): void {
  if (listeners.size === 0) {
    held.push(frame);
    if (held.length > MAX_HELD_FRAMES) held.shift();
  }
  for (const listener of listeners) listener(frame);
}
