import type { ServerFrame } from "../../protocol/index.ts";

/** How often the hub looks for dead sockets while any socket is open. */
export const HEARTBEAT_CHECK_MS = 30_000;

/**
 * A socket with no ping and no frame for this long is treated as dead. The
 * client pings every 25 s, so this allows two missed pings plus slack.
 */
export const SOCKET_IDLE_LIMIT_MS = 70_000;

/** Per-socket state kept across hibernation with serializeAttachment. */
export interface SocketAttachment {
  deviceId: string;
  connectedAt: number;
  /** When the last non-ping frame arrived. */
  lastFrameAt: number;
}

export function readAttachment(ws: WebSocket): SocketAttachment | undefined {
  const value: unknown = ws.deserializeAttachment();
  if (typeof value !== "object" || value === null || !("deviceId" in value)) {
    return undefined;
  }
  return value as SocketAttachment;
}

/** Sends one typed frame; a socket that is already closing is skipped. */
export function send(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify(frame));
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
