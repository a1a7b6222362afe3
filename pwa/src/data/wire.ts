import type { ClientFrame, ServerFrame } from "../../../protocol/index.ts";
import { newId } from "./uuid.ts";

/**
 * The link between the data layer and the open socket. Modules send frames
 * through `sendFrame`, which returns false while no socket is ready, and
 * await replies to frames that carry a request id (`rid`). The sender is
 * the socket in the leader tab and the channel to the leader in a
 * follower. Tests install their own sender in place of a socket.
 */

type Sender = (frame: ClientFrame) => void;

let sender: Sender | null = null;

export function setSender(next: Sender | null): void {
  sender = next;
  if (next === null) failPendingRequests();
}

export function isLinked(): boolean {
  return sender !== null;
}

export function sendFrame(frame: ClientFrame): boolean {
  if (sender === null) return false;
  sender(frame);
  return true;
}

// ---- requests awaiting a reply with their rid ------------------------------

/** A reply frame of the kinds that carry a rid. */
export type ReplyFrame = Extract<ServerFrame, { rid?: string | undefined }>;

interface PendingRequest {
  resolve: (frame: ReplyFrame) => void;
  reject: (reason: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const pending = new Map<string, PendingRequest>();

/**
 * Delivers a reply that no request of this tab waits for, and returns
 * false when no tab waits for it. The leader routes followers' replies so.
 */
type ReplyRouter = (frame: ReplyFrame) => boolean;

let replyRouter: ReplyRouter | null = null;

export function setReplyRouter(next: ReplyRouter | null): void {
  replyRouter = next;
}

/** Returns whether `frame` is of a kind that carries a rid. */
export function isReplyFrame(frame: ServerFrame): frame is ReplyFrame {
  return "rid" in frame;
}

/** Error of a request whose socket closed or that got no reply in time. */
export class RequestLost extends Error {
  override name = "RequestLost";
}

export function newRid(): string {
  return newId();
}

/**
 * Sends a frame with `rid` and resolves with the first reply that carries
 * it, so use it only for frames that get exactly one reply (`history`,
 * `delete`). Rejects with RequestLost when the socket is not ready, closes first, or
 * no reply arrives within `timeoutMs`.
 */
export function request(
  rid: string,
  frame: ClientFrame,
  timeoutMs = 15_000,
): Promise<ReplyFrame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(rid);
      reject(new RequestLost(`no reply to ${frame.type} in ${timeoutMs} ms`));
    }, timeoutMs);
    pending.set(rid, { resolve, reject, timer });
    if (!sendFrame(frame)) {
      clearTimeout(timer);
      pending.delete(rid);
      reject(new RequestLost(`cannot send ${frame.type}: not connected`));
    }
  });
}

/**
 * Settles the request with this frame's rid, here or through the reply
 * router. False when none waits.
 */
export function settleRequest(frame: ReplyFrame): boolean {
  const rid = frame.rid;
  if (rid === undefined) return false;
  const entry = pending.get(rid);
  if (entry === undefined) return replyRouter?.(frame) ?? false;
  pending.delete(rid);
  clearTimeout(entry.timer);
  entry.resolve(frame);
  return true;
}

/** Rejects the request `rid` with RequestLost, if it still waits. */
export function failRequest(rid: string, reason: string): void {
  const entry = pending.get(rid);
  if (entry === undefined) return;
  pending.delete(rid);
  clearTimeout(entry.timer);
  entry.reject(new RequestLost(reason));
}

function failPendingRequests(): void {
  for (const [rid, entry] of pending) {
    clearTimeout(entry.timer);
    entry.reject(new RequestLost("the connection closed"));
    pending.delete(rid);
  }
}
