import { CLOSE_TOO_SLOW, MAX_UNACKED_CHARS } from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";

/**
 * Characters sent to each socket and not yet acknowledged, in memory
 * only. A hub that restarts starts every socket at 0, which only delays
 * a close.
 */
const unacked = new WeakMap<WebSocket, number>();

/** Counts `chars` sent to `ws` as a reply to the device's own request. */
export function countReply(ws: WebSocket, chars: number): void {
  unacked.set(ws, (unacked.get(ws) ?? 0) + chars);
}

/**
 * Counts a live frame of `chars` for `ws`, or closes the socket with
 * CLOSE_TOO_SLOW and returns false when the frame would take the device
 * past MAX_UNACKED_CHARS. Replies never close, because the device asked
 * for them and paces them itself.
 */
export function admitPush(ws: WebSocket, chars: number): boolean {
  const total = (unacked.get(ws) ?? 0) + chars;
  if (total <= MAX_UNACKED_CHARS) {
    unacked.set(ws, total);
    return true;
  }
  const attachment: unknown = ws.deserializeAttachment();
  const deviceId =
    typeof attachment === "object" && attachment !== null
      ? (attachment as { deviceId?: string }).deviceId
      : undefined;
  log("socket.too_slow", { deviceId, unacked: total - chars });
  ws.close(CLOSE_TOO_SLOW, "Too many frames unread; reconnect and sync.");
  unacked.delete(ws);
  return false;
}

/** Records an `ack` of `chars` from the device of `ws`. */
export function acknowledge(ws: WebSocket, chars: number): void {
  unacked.set(ws, Math.max(0, (unacked.get(ws) ?? 0) - chars));
}
