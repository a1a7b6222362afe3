import type { ClientFrame, ErrorBody } from "../../../protocol/index.ts";
import type { UploadHost } from "../media/upload.ts";
import { apiRequest } from "./api.ts";
import { requestOutboxSync } from "./background-sync.ts";
import { encodeMessage } from "./codec.ts";
import { db, PENDING_ORDER_BASE, type OutboxEntry } from "./db.ts";
import { refold } from "./fold.ts";
import { log } from "./log.ts";
import { encryptAhead, encryptForSend, type SendBody } from "./encryption.ts";
import { advanceCursor } from "./store.ts";
import { ApiFailure } from "./types.ts";
import { isLinked, sendFrame } from "./wire.ts";

/**
 * The outbox sends queued messages, edits, reactions and deletes for
 * everyone one at a time in the order they were written. A send stays in the outbox until the server
 * acknowledges its id (`send.ok`, or the stored message coming back). So a
 * send lost with a dropped connection goes out again with the same id, and
 * the ChatRoom stores it exactly once because it keeps the first copy of an
 * id. A send rejected for good is marked failed and the queue moves on.
 * A delete stays until its `deleted` reply arrives, and a resent delete is
 * harmless because the ChatRoom answers a repeated delete the same way.
 */

/** Resend the in-flight entry when no acknowledgement came in this time. */
const ACK_TIMEOUT_MS = 20_000;
/** Sends rejected with `internal` before the entry is marked failed. */
const MAX_INTERNAL_ATTEMPTS = 3;
/** Ceiling of the first retry delay after a temporary failure. */
const RETRY_BASE_MS = 1_000;
/** Largest retry delay, reached after six doublings. */
const RETRY_MAX_MS = 60_000;

/**
 * Returns the delay before retry `attempt` (0-based) of a send that failed
 * for a temporary reason: exponential, with "equal jitter" (half fixed, half
 * random) so that devices that failed together do not retry together, and
 * never zero.
 */
export function retryDelay(attempt: number, random = Math.random()): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

let inFlight: string | null = null;
let ackTimer: ReturnType<typeof setTimeout> | undefined;
let pausedUntil = 0;
let resumeTimer: ReturnType<typeof setTimeout> | undefined;
let pumping: Promise<void> | null = null;
let pumpRequested = false;
/** Set in a follower tab, whose pump requests go to the leader tab. */
let remotePump: (() => void) | null = null;

function clearInFlight(): void {
  inFlight = null;
  clearTimeout(ackTimer);
}

/** Holds sends back until `time` (ms since the epoch), then pumps again. */
function pauseUntil(time: number): void {
  pausedUntil = time;
  clearTimeout(resumeTimer);
  resumeTimer = setTimeout(() => void pumpOutbox(), time - Date.now());
}

async function sendNext(): Promise<void> {
  if (!isLinked()) {
    // The service worker sends only encrypted entries, so the sync is
    // requested once they are.
    await encryptQueuedAhead();
    await requestOutboxSync();
    return;
  }
  if (inFlight !== null) return;
  if (Date.now() < pausedUntil) {
    // Timers may fire a millisecond early, so wait out the rest.
    pauseUntil(pausedUntil);
    return;
  }
  const queued = await db.outbox
    .orderBy("n")
    .filter((candidate) => candidate.state === "queued")
    .toArray();
  // A chat whose group is not ready keeps its entries, in order, while the
  // entries of other chats go.
  const waiting = new Set<string>();
  for (const entry of queued) {
    if (waiting.has(entry.chatId)) continue;
    const frame = await prepareFrame(entry);
    if (inFlight !== null || !isLinked()) return;
    if (frame.kind === "wait") {
      waiting.add(entry.chatId);
    } else if (frame.kind === "rejected") {
      log("send_rejected", { messageId: entry.id, reason: "group check" });
      await markFailed(entry, frame.reason);
    } else {
      if (sendFrame(frame.frame)) startAckTimer(entry);
      return;
    }
  }
}

function startAckTimer(entry: OutboxEntry): void {
  inFlight = entry.id;
  ackTimer = setTimeout(() => {
    log("send_ack_timeout", { chatId: entry.chatId, messageId: entry.id });
    clearInFlight();
    void pumpOutbox();
  }, ACK_TIMEOUT_MS);
}

/**
 * Returns the frame of an entry, with the body encrypted for the chat's
 * group, or why it cannot go now.
 */
async function prepareFrame(
  entry: OutboxEntry,
): Promise<
  Exclude<SendBody, { kind: "body" }> | { kind: "frame"; frame: ClientFrame }
> {
  const { id, chatId, kind, ref, media } = entry;
  if (kind === "delete") {
    const frame: ClientFrame = {
      type: "delete",
      rid: id,
      chatId,
      messageId: ref ?? "",
    };
    return { kind: "frame", frame };
  }
  const prepared = await encryptForSend(entry);
  if (prepared.kind !== "body") return prepared;
  const { body, preview } = prepared;
  const message = {
    id,
    kind,
    body,
    ...(ref === undefined ? {} : { ref }),
    ...(media === undefined ? {} : { media }),
    ...(preview === undefined ? {} : { preview }),
  };
  return { kind: "frame", frame: { type: "send", chatId, message } };
}

async function pumpLoop(): Promise<void> {
  // A request that arrives while sendNext runs may concern an entry written
  // after its query, so the loop runs once more.
  while (pumpRequested) {
    pumpRequested = false;
    try {
      await sendNext();
    } catch (error) {
      log("outbox_pump_failed", { error: String(error) });
    }
  }
}

/**
 * Sends the next queued entry if nothing is in flight and a socket is up.
 * In a follower tab it wakes the leader's pump instead. Never rejects: a
 * storage error is logged and the next call tries again.
 */
export function pumpOutbox(): Promise<void> {
  if (remotePump !== null) {
    remotePump();
    return Promise.resolve();
  }
  wakeUploads();
  pumpRequested = true;
  pumping ??= pumpLoop().finally(() => {
    pumping = null;
    if (pumpRequested) void pumpOutbox();
  });
  return pumping;
}

/**
 * Starts the uploader when uploads wait. It runs where the outbox runs,
 * and is loaded on demand, because most starts of the app have none.
 */
function wakeUploads(): void {
  void (async () => {
    try {
      const queued = await db.uploads
        .filter((row) => row.state === "queued")
        .count();
      if (queued === 0) return;
      const { runUploads } = await import("../media/upload.ts");
      await runUploads(uploadHost());
    } catch (error) {
      log("uploads_wake_failed", { error: String(error) });
    }
  })();
}

/** Returns the data layer as the uploader uses it; it imports none of it. */
export function uploadHost(): UploadHost {
  return {
    db,
    log,
    enqueue,
    pumpOutbox,
    retryDelay,
    encodeMessage,
    apiRequest,
    ApiFailure,
  };
}

/**
 * Hands pump requests to `wake` (in a follower tab, which must not send
 * because only the leader receives the acknowledgements), or back to this
 * tab's own pump (null).
 */
export function setRemotePump(wake: (() => void) | null): void {
  remotePump = wake;
}

/**
 * Writes an entry behind all others. Call inside a transaction or alone,
 * and pump the outbox afterwards.
 */
export async function enqueue(entry: Omit<OutboxEntry, "n" | "state">) {
  await db.outbox.add({ ...entry, state: "queued" });
}

/**
 * Encrypts the queued messages that have no ciphertext yet with the stored
 * group states, so that the service worker may send them while no page
 * of the app is open.
 */
async function encryptQueuedAhead(): Promise<void> {
  const entries = await db.outbox
    .filter((entry) => entry.state === "queued" && entry.cipher === undefined)
    .toArray();
  for (const entry of entries) {
    if (entry.kind === "message") await encryptAhead(entry);
  }
}

/**
 * Records the server's acknowledgement of our send `id`: the row gets its
 * sequence and server time, and the entry leaves the outbox. Acknowledging
 * twice (send.ok and the stored message both arrive) changes nothing more.
 */
export async function acknowledge(
  chatId: string,
  id: string,
  seq: number,
  ts: number,
): Promise<void> {
  const tables = [db.outbox, db.messages, db.folds, db.cursors];
  await db.transaction("rw", tables, async () => {
    await db.outbox.where("id").equals(id).delete();
    const row = await db.messages.get(id);
    if (row !== undefined && row.seq === null) {
      const order = row.hidden ? row.order : seq;
      await db.messages.put({ ...row, seq, ts, order, status: "sent" });
    }
    const fold = await db.folds.get(id);
    if (fold !== undefined && fold.seq === null) {
      await db.folds.put({ ...fold, seq, ts });
      await refold(fold.ref);
    }
    await advanceCursor(chatId);
  });
  if (inFlight === id) {
    clearInFlight();
    await pumpOutbox();
  }
}

/**
 * Records the server's `deleted` reply to our queued delete `rid`: the entry
 * leaves the outbox. The caller has already applied the deletion.
 */
export async function acknowledgeDelete(rid: string): Promise<void> {
  await db.outbox.where("id").equals(rid).delete();
  if (inFlight === rid) {
    clearInFlight();
    await pumpOutbox();
  }
}

async function markFailed(entry: OutboxEntry, reason: string): Promise<void> {
  await db.transaction("rw", [db.outbox, db.messages, db.folds], async () => {
    if (entry.kind === "delete") {
      // A rejected delete is dropped and the message shows again, with the
      // reason in `error` while its status stays as it was.
      await db.outbox.where("id").equals(entry.id).delete();
      const target = entry.ref ?? "";
      await db.messages.update(target, { deleted: false, error: reason });
      await refold(target);
      return;
    }
    const fold = await db.folds.get(entry.id);
    if (fold !== undefined) {
      // A failed edit or reaction is dropped: the message reads as before.
      await db.outbox.where("id").equals(entry.id).delete();
      await db.folds.delete(entry.id);
      await refold(fold.ref);
      return;
    }
    await db.outbox.update(entry.n!, { state: "failed" });
    await db.messages.update(entry.id, { status: "failed", error: reason });
  });
}

/**
 * Handles an `error` frame about our send `id`, or about our queued delete
 * with rid `id`. Returns false when the outbox has no such entry.
 */
export async function rejectSend(
  id: string,
  error: ErrorBody,
): Promise<boolean> {
  const entry = await db.outbox.where("id").equals(id).first();
  if (inFlight === id) clearInFlight();
  if (entry !== undefined) {
    log("send_rejected", { messageId: id, code: error.code });
    const attempts = entry.attempts + 1;
    if (error.code === "rate_limited") {
      pauseUntil(Date.now() + (error.retryAfter ?? 1) * 1000);
    } else if (error.code === "internal" && attempts < MAX_INTERNAL_ATTEMPTS) {
      // The entry stays first in the queue, so order holds, and the whole
      // queue waits out the delay.
      await db.outbox.update(entry.n!, { attempts });
      pauseUntil(Date.now() + retryDelay(attempts - 1));
    } else {
      await markFailed(entry, error.message);
    }
  }
  await pumpOutbox();
  return entry !== undefined;
}

/**
 * Clears the in-flight send after the socket closed, so it is sent again,
 * and requests a Background Sync when anything is still queued. A send
 * queued while the socket was up registered none, and without one it
 * would wait for the next start of the app if every tab closed now.
 */
export function outboxDisconnected(): void {
  clearInFlight();
  void requestSyncWhenQueued();
}

async function requestSyncWhenQueued(): Promise<void> {
  try {
    const queued = await db.outbox
      .filter((entry) => entry.state === "queued")
      .count();
    if (queued > 0) await requestOutboxSync();
  } catch (error) {
    log("outbox_sync_request_failed", { error: String(error) });
  }
}

/** Forgets the in-flight send and any pause, after the outbox was wiped. */
export function resetOutbox(): void {
  clearInFlight();
  pausedUntil = 0;
  clearTimeout(resumeTimer);
}

/**
 * Queues a failed message again, behind everything queued now, or queues
 * its failed upload again. With `revised`, the message goes out with that
 * new text instead; it keeps its id, which the server never stored
 * because it rejected the message.
 */
export async function retryFailed(
  id: string,
  revised?: { text: string; body: string },
): Promise<void> {
  await db.transaction("rw", [db.outbox, db.messages, db.uploads], async () => {
    const entry = await db.outbox.where("id").equals(id).first();
    if (entry === undefined) {
      // A failed upload, which the uploader starts again at the next pump.
      const caption = revised === undefined ? {} : { caption: revised.text };
      const queued = { state: "queued", error: null, ...caption } as const;
      if ((await db.uploads.update(id, queued)) === 0) return;
    } else if (entry.state !== "failed") {
      return;
    } else {
      await db.outbox.delete(entry.n!);
      const { n: _n, cipher: _cipher, preview: _preview, ...rest } = entry;
      const body = revised?.body ?? entry.body;
      await db.outbox.add({ ...rest, body, state: "queued", attempts: 0 });
    }
    await db.messages.update(id, {
      status: "pending",
      error: null,
      order: PENDING_ORDER_BASE + Date.now(),
      ...(revised === undefined ? {} : revised),
    });
  });
  await pumpOutbox();
}

/**
 * Deletes a failed message from the outbox and the chat, with its upload
 * when the file never finished. The server deletes such an upload after a
 * day.
 */
export async function discardFailed(id: string): Promise<void> {
  const tables = [db.outbox, db.messages, db.uploads];
  await db.transaction("rw", tables, async () => {
    const entry = await db.outbox.where("id").equals(id).first();
    const row = await db.messages.get(id);
    if (entry?.state === "queued" || row?.status !== "failed") return;
    await db.outbox.where("id").equals(id).delete();
    await db.uploads.delete(id);
    await db.messages.delete(id);
  });
}

/**
 * Counts the messages written on this device that the server has not
 * stored: queued ones, failed ones and files still uploading. Logging out
 * deletes them.
 */
export async function countUnsent(): Promise<number> {
  const [messages, uploads] = await Promise.all([
    db.outbox.filter((entry) => entry.kind === "message").count(),
    db.uploads.count(),
  ]);
  return messages + uploads;
}
