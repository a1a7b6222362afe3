import {
  SEND_BURST,
  SENDS_PER_SECOND,
  type ServerFrame,
} from "../../protocol/index.ts";
import type { Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { admitPush, countReply } from "./flow.ts";

/**
 * A socket with no ping and no frame for this long is treated as dead. The
 * client pings every 25 s, so this allows two missed pings plus slack. The
 * alarm fires when the oldest socket reaches the limit, so a vanished
 * device shows online for at most about this long. PRESENCE_TIMEOUT_MS in
 * the environment overrides it (tests use a few seconds).
 */
export const SOCKET_IDLE_LIMIT_MS = 70_000;

/** Ping interval the server requests from clients, in ms. */
export const HEARTBEAT_MS = 25_000;

/** Reads the idle limit from the environment, or the default. */
export function idleLimitFrom(value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1000) return SOCKET_IDLE_LIMIT_MS;
  return parsed;
}

/** Returns the ping interval for an idle limit: under a third of it. */
export function heartbeatFor(idleLimitMs: number): number {
  return Math.min(HEARTBEAT_MS, Math.floor(idleLimitMs / 3));
}

/** Per-socket state kept across hibernation with serializeAttachment. */
export interface SocketAttachment {
  deviceId: string;
  connectedAt: number;
  /** When the last non-ping frame arrived. */
  lastFrameAt: number;
  /** The open chat from the device's last `view`, or null. */
  viewChatId?: string | null;
  /** The chat list rows from the device's last `view`. */
  viewListed?: string[];
  /** Chats where the device's last typing state was not "idle". */
  typingIn?: string[];
}

export function readAttachment(ws: WebSocket): SocketAttachment | undefined {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== "object" || value === null || !("deviceId" in value)) {
    return undefined;
  }
  return value as SocketAttachment;
}

/**
 * Sends one live frame; a socket that is already closing is skipped, and
 * one with too much unacknowledged is closed (see admitPush).
 */
export function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const text = JSON.stringify(frame);
  if (admitPush(ws, text.length)) ws.send(text);
}

/** Sends the reply to a frame of the device, which is never held back. */
export function sendReply(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  const text = JSON.stringify(frame);
  countReply(ws, text.length);
  ws.send(text);
}

/**
 * Returns when the socket last showed a sign of life: a ping handled by the
 * auto-response (which does not wake the object), a frame, or the connect.
 */
export function lastSeenAt(
  attachment: SocketAttachment,
  autoResponseAt: Date | null,
): number {
  return Math.max(
    attachment.connectedAt,
    attachment.lastFrameAt,
    autoResponseAt?.getTime() ?? 0,
  );
}

/** Per-device token bucket for sends, kept in memory only. */
export class SendBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token; returns 0, or the seconds until one is available. */
  take(deviceId: string, now = Date.now()): number {
    const bucket = this.buckets.get(deviceId) ?? {
      tokens: this.burst,
      at: now,
    };
    const refill = ((now - bucket.at) / 1000) * this.perSecond;
    bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
    bucket.at = now;
    this.buckets.set(deviceId, bucket);
    if (bucket.tokens < 1) {
      return Math.ceil((1 - bucket.tokens) / this.perSecond);
    }
    bucket.tokens -= 1;
    return 0;
  }
}

/**
 * Builds the per-device send budget from SENDS_PER_SECOND and SEND_BURST
 * in the environment, each defaulting to the limit of the same name in
 * protocol/limits.ts.
 */
export function sendBudgetFrom(
  env: Pick<Env, "SENDS_PER_SECOND" | "SEND_BURST">,
): SendBudget {
  return new SendBudget(
    positiveIntegerVar(
      "SENDS_PER_SECOND",
      env.SENDS_PER_SECOND,
      SENDS_PER_SECOND,
    ),
    positiveIntegerVar("SEND_BURST", env.SEND_BURST, SEND_BURST),
  );
}

/**
 * Parses a positive integer variable. An unset variable gives `fallback`,
 * and so does an invalid one, after an error log line that names it.
 */
function positiveIntegerVar(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (Number.isInteger(parsed) && parsed >= 1) return parsed;
  log("config.invalid", {
    name,
    value: value.slice(0, 32),
    error: `must be a positive integer; using ${fallback}`,
  });
  return fallback;
}

/** Close code for a socket that stopped sending pings. */
export const CLOSE_HEARTBEAT_TIMEOUT = 4000;

/**
 * The hibernatable WebSockets of one UserHub, tagged by device id. The
 * heartbeat alarm is set only while sockets are open, so an idle person
 * costs nothing.
 */
export class DeviceSockets {
  constructor(
    private readonly ctx: DurableObjectState,
    readonly idleLimitMs = SOCKET_IDLE_LIMIT_MS,
  ) {}

  /** Accepts `server` for `deviceId` and starts the heartbeat checks. */
  async accept(server: WebSocket, deviceId: string, now: number) {
    this.ctx.acceptWebSocket(server, [deviceId]);
    const attachment: SocketAttachment = {
      deviceId,
      connectedAt: now,
      lastFrameAt: now,
    };
    server.serializeAttachment(attachment);
    await this.scheduleCheck(now + this.idleLimitMs);
  }

  /** Open sockets with their state, leaving out `except` (one closing). */
  open(except?: WebSocket): { ws: WebSocket; attachment: SocketAttachment }[] {
    const result = [];
    for (const ws of this.ctx.getWebSockets()) {
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      const attachment = readAttachment(ws);
      if (attachment !== undefined) result.push({ ws, attachment });
    }
    return result;
  }

  /** Sends `frame` to every open socket, serialized once. */
  broadcast(frame: ServerFrame): void {
    let text: string | undefined;
    for (const ws of this.ctx.getWebSockets()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      text ??= JSON.stringify(frame);
      if (admitPush(ws, text.length)) ws.send(text);
    }
  }

  /** Sends `frame` to the open sockets of one device only. */
  sendToDevice(deviceId: string, frame: ServerFrame): void {
    let text: string | undefined;
    for (const ws of this.ctx.getWebSockets(deviceId)) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      text ??= JSON.stringify(frame);
      if (admitPush(ws, text.length)) ws.send(text);
    }
  }

  /** Closes every socket of one device. */
  closeDevice(deviceId: string, code: number, reason: string): void {
    for (const ws of this.ctx.getWebSockets(deviceId)) {
      closeQuietly(ws, code, reason);
    }
  }

  /** Devices with an open socket that showed life within the idle limit. */
  liveDeviceIds(now: number): string[] {
    const live = new Set<string>();
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = readAttachment(ws);
      if (attachment === undefined) continue;
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (now - this.lastSeen(ws, attachment) <= this.idleLimitMs) {
        live.add(attachment.deviceId);
      }
    }
    return [...live];
  }

  /**
   * Closes dead sockets and returns their state. While live sockets remain,
   * the alarm is set for when the oldest of them would reach the limit.
   */
  async sweep(now: number): Promise<SocketAttachment[]> {
    const closed: SocketAttachment[] = [];
    let nextDeadline = Infinity;
    for (const ws of this.ctx.getWebSockets()) {
      const attachment = readAttachment(ws);
      if (attachment === undefined) continue;
      const seenAt = this.lastSeen(ws, attachment);
      const idleMs = now - seenAt;
      if (idleMs > this.idleLimitMs) {
        log("socket.timed_out", { deviceId: attachment.deviceId, idleMs });
        closeQuietly(ws, CLOSE_HEARTBEAT_TIMEOUT, "heartbeat timeout");
        closed.push(attachment);
      } else if (ws.readyState === WebSocket.OPEN) {
        nextDeadline = Math.min(nextDeadline, seenAt + this.idleLimitMs);
      }
    }
    if (nextDeadline !== Infinity) {
      // The margin lets a ping that is due right at the limit arrive first.
      await this.scheduleCheck(Math.max(nextDeadline, now) + 1000);
    }
    return closed;
  }

  private lastSeen(ws: WebSocket, attachment: SocketAttachment): number {
    const autoResponseAt = this.ctx.getWebSocketAutoResponseTimestamp(ws);
    return lastSeenAt(attachment, autoResponseAt);
  }

  /** Sets the alarm for `at` unless one is already due earlier. */
  private async scheduleCheck(at: number): Promise<void> {
    const pending = await this.ctx.storage.getAlarm();
    if (pending !== null && pending <= at) return;
    await this.ctx.storage.setAlarm(at);
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch (error) {
    // A socket the peer already closed may reject a second close.
    log("socket.close_failed", { code, error: errorMessage(error) });
  }
}
