import type { ServerFrame } from "../../../protocol/index.ts";

/** The server frames that concern end-to-end encryption. */
export type EncryptionFrame = Extract<
  ServerFrame,
  { type: "mls.pending" | "keys.low" }
>;

type Listener = (frame: EncryptionFrame) => void;

const listeners = new Set<Listener>();

/**
 * Lets the encryption engine, which loads on demand, hear its frames from
 * the socket. Returns a function that stops listening.
 */
export function onEncryptionFrame(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Hands an encryption frame to every listener. */
export function dispatchEncryptionFrame(frame: EncryptionFrame): void {
  for (const listener of listeners) listener(frame);
}
