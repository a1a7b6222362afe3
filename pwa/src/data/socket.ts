import {
  CLOSE_ACCOUNT_DELETED,
  ACK_EVERY_CHARS,
  CLOSE_SESSION_REVOKED,
  PING_FRAME,
  PONG_FRAME,
  ServerFrame,
} from "../../../protocol/index.ts";
import { log } from "./log.ts";
import { connection } from "./state.ts";
import { setSender } from "./wire.ts";

/**
 * The device's one WebSocket to its UserHub. It reconnects after any close
 * with exponential backoff and full jitter, and at once when the browser
 * comes back online or the page becomes visible. A socket is dead when no
 * frame (not even the pong) arrives within PONG_TIMEOUT_MS of a ping.
 */

export const HEARTBEAT_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** Failed upgrades in a row before checking whether the session ended. */
const FAILURES_BEFORE_SESSION_CHECK = 2;

export interface SocketHandlers {
  /** A validated frame; `ready` arrives first on every connection. */
  onFrame(frame: ServerFrame): void;
  /** The socket closed or died, so in-flight work must be resent later. */
  onDisconnect(): void;
  /**
   * The server closed the socket because this device was logged out, or
   * because the account was deleted (`accountDeleted`).
   */
  onRevoked(accountDeleted: boolean): void;
  /** Upgrades keep failing: check the session over HTTP. */
  onRepeatedFailure(): void;
}

/** Returns the delay before reconnect `attempt` (0-based), full jitter. */
export function backoffDelay(attempt: number, random = Math.random()) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling * random);
}

export class ChatSocket {
  #ws: WebSocket | null = null;
  #running = false;
  #attempt = 0;
  #opened = false;
  #lastFrameAt = 0;
  /** Characters received since the last `ack`. */
  #unacked = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  readonly #handlers: SocketHandlers;

  constructor(handlers: SocketHandlers) {
    this.#handlers = handlers;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    window.addEventListener("online", this.#reconnectNow);
    window.addEventListener("offline", this.#wentOffline);
    document.addEventListener("visibilitychange", this.#onVisibility);
    this.#connect();
  }

  stop(): void {
    this.#running = false;
    window.removeEventListener("online", this.#reconnectNow);
    window.removeEventListener("offline", this.#wentOffline);
    document.removeEventListener("visibilitychange", this.#onVisibility);
    clearTimeout(this.#retry);
    this.#drop(1000, "logged out");
    connection.value = "offline";
  }

  #connect(): void {
    clearTimeout(this.#retry);
    if (!this.#running || this.#ws !== null) return;
    if (!navigator.onLine) {
      connection.value = "offline";
      return;
    }
    connection.value = "connecting";
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/ws`);
    this.#ws = ws;
    this.#opened = false;
    ws.addEventListener("open", () => this.#onOpen(ws));
    ws.addEventListener("message", (event) => this.#onMessage(ws, event));
    ws.addEventListener("close", (event) => this.#onClose(ws, event));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws) return;
    this.#opened = true;
    this.#unacked = 0;
    this.#lastFrameAt = Date.now();
    setSender((frame) => ws.send(JSON.stringify(frame)));
    this.#heartbeat = setInterval(() => this.#probe(ws), HEARTBEAT_MS);
    log("socket_open");
  }

  #onMessage(ws: WebSocket, event: MessageEvent): void {
    if (ws !== this.#ws) return;
    this.#lastFrameAt = Date.now();
    if (typeof event.data !== "string" || event.data === PONG_FRAME) return;
    // The hub closes a socket that leaves too much unacknowledged.
    this.#unacked += event.data.length;
    if (this.#unacked >= ACK_EVERY_CHARS) {
      ws.send(JSON.stringify({ type: "ack", chars: this.#unacked }));
      this.#unacked = 0;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      log("frame_invalid", { reason: "not JSON" });
      return;
    }
    const result = ServerFrame.safeParse(parsed);
    if (!result.success) {
      log("frame_invalid", { issue: result.error.issues[0]?.message });
      return;
    }
    if (result.data.type === "ready") {
      this.#attempt = 0;
      connection.value = "online";
      const interval = result.data.heartbeatMs;
      if (interval !== undefined && interval !== HEARTBEAT_MS) {
        // The server closes sockets silent for about three intervals.
        clearInterval(this.#heartbeat);
        this.#heartbeat = setInterval(() => this.#probe(ws), interval);
      }
    }
    this.#handlers.onFrame(result.data);
  }

  #onClose(ws: WebSocket, event: CloseEvent): void {
    if (ws !== this.#ws) return;
    log("socket_closed", { code: event.code });
    this.#release();
    if (
      event.code === CLOSE_SESSION_REVOKED ||
      event.code === CLOSE_ACCOUNT_DELETED
    ) {
      this.#handlers.onRevoked(event.code === CLOSE_ACCOUNT_DELETED);
      return;
    }
    this.#scheduleReconnect();
  }

  /** Sends a ping and drops the socket if nothing arrives in time. */
  #probe(ws: WebSocket): void {
    const sentAt = Date.now();
    ws.send(PING_FRAME);
    setTimeout(() => {
      if (ws !== this.#ws || this.#lastFrameAt >= sentAt) return;
      log("socket_dead", { silentMs: Date.now() - this.#lastFrameAt });
      this.#drop(4000, "heartbeat timed out");
      this.#scheduleReconnect();
    }, PONG_TIMEOUT_MS);
  }

  /** Clears the current socket and notifies the data layer that it closed. */
  #release(): void {
    clearInterval(this.#heartbeat);
    const wasOpen = this.#opened;
    this.#ws = null;
    this.#opened = false;
    setSender(null);
    if (wasOpen) this.#handlers.onDisconnect();
  }

  #drop(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === null) return;
    this.#release();
    ws.close(code, reason);
  }

  #scheduleReconnect(): void {
    if (!this.#running) return;
    connection.value = navigator.onLine ? "connecting" : "offline";
    this.#attempt += 1;
    if (this.#attempt % (FAILURES_BEFORE_SESSION_CHECK + 1) === 0) {
      this.#handlers.onRepeatedFailure();
    }
    const delay = backoffDelay(this.#attempt - 1);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  readonly #reconnectNow = (): void => {
    if (this.#ws !== null) return;
    this.#attempt = 0;
    this.#connect();
  };

  /**
   * Drops the socket when the browser loses its network. A half-open socket
   * would accept sends that never arrive until the heartbeat noticed, so
   * the outbox waits for the `online` event instead.
   */
  readonly #wentOffline = (): void => {
    clearTimeout(this.#retry);
    this.#drop(1000, "network lost");
    connection.value = "offline";
  };

  /**
   * Reconnects at once when no socket is up, or probes the open one,
   * because a tab of this device became visible.
   */
  checkNow(): void {
    if (!this.#running) return;
    if (this.#ws === null) {
      this.#reconnectNow();
    } else if (this.#opened) {
      // A phone may have slept with the socket half-open. Probing now finds
      // out in seconds instead of at the next heartbeat.
      this.#probe(this.#ws);
    }
  }

  readonly #onVisibility = (): void => {
    if (document.visibilityState === "visible") this.checkNow();
  };
}
