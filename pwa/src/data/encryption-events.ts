import type { ServerFrame } from "../../../protocol/index.ts";

/** The server frames that concern end-to-end encryption. */
export type EncryptionFrame = Extract<
  ServerFrame,
  { type: "mls.pending" | "keys.low" | "history.request" | "history.ready" }
>;

type Listener = (frame: EncryptionFrame) => void;

const listeners = new Set<Listener>();

/**
 * History frames that came before the engine loaded. The server sends
 * `history.request` right after `ready`, so it often beats the engine.
 */
const held: EncryptionFrame[] = [];
const MAX_HELD = 16;

/**
 * Lets the encryption engine, which loads on demand, hear its frames from
 * the socket, beginning with the history frames held for it. Returns a
 * function that stops listening.
 */
export function onEncryptionFrame(listener: Listener): () => void {
  listeners.add(listener);
  for (const frame of held.splice(0)) listener(frame);
  return () => listeners.delete(listener);
}

/** Hands an encryption frame to every listener. */
export function dispatchEncryptionFrame(frame: EncryptionFrame): void {
  const isHistory = frame.type.startsWith("history.");
  if (listeners.size === 0 && isHistory && held.length < MAX_HELD) {
    held.push(frame);
  }
  for (const listener of listeners) listener(frame);
}
