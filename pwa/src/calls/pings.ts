import { CALL_PING_MS } from "../../../protocol/index.ts";

/** How often the ping schedule checks the connection, in ms. */
export const PING_CHECK_MS = 1_000;

/** The connection that pings of an accepted call go through. */
export interface PingLink {
  /** Returns whether a socket to the server is open. */
  isLinked(): boolean;
  /** Sends one `call.ping`; returns false when no socket took it. */
  sendPing(): boolean;
}

/**
 * Sends a ping at once and then every CALL_PING_MS, and returns the
 * interval to clear when the call ends. After the socket was down, the
 * next ping goes out as soon as it is back instead of at the next period.
 * The server ends the call CALL_LOST_TIMEOUT_MS after a party's last
 * ping, and pings sent just before the drop may be lost.
 */
export function startPings(link: PingLink): ReturnType<typeof setInterval> {
  // Time of the last ping sent on the current socket; null forces one.
  let lastSentAt: number | null = null;
  const check = () => {
    if (!link.isLinked()) {
      lastSentAt = null;
      return;
    }
    const now = Date.now();
    if (lastSentAt !== null && now - lastSentAt < CALL_PING_MS) return;
    if (link.sendPing()) lastSentAt = now;
  };
  check();
  return setInterval(check, PING_CHECK_MS);
}
