import {
  cipherSize,
  MEDIA_CACHE,
  MEDIA_TRANSFER_CHANNEL,
  mediaPath,
  partBytes,
  partCount,
  UploadState,
} from "../../../protocol/index.ts";
import { fromBase64url, toBase64url } from "../crypto/encoding.ts";
import type { apiRequest } from "../data/api.ts";
import type { encodeMessage } from "../data/codec.ts";
import type { MessengerDb, UploadRow } from "../data/db.ts";
import type { log } from "../data/log.ts";
import type { enqueue, pumpOutbox, retryDelay } from "../data/outbox.ts";
import type { ApiFailure } from "../data/types.ts";
import {
  encryptPart,
  fileHash,
  importFileSecret,
  partDigest,
} from "./crypto.ts";
import { storeCachedFile } from "./file-cache.ts";
import type { Transfer } from "./transfers.ts";
import { browserTransport, type UploadTransport } from "./upload-http.ts";

/**
 * The uploader: runs the queued uploads of the `uploads` table one at a
 * time, in the tab that runs the outbox. Each upload is created on the
 * server, sent part by part (each part encrypted just before it is sent),
 * completed, and then its message is queued in the outbox with the file's
 * key and hash. Before each part the server is asked which parts it has,
 * so a reload or a lost connection resends only the missing ones.
 *
 * The outbox loads this module on demand and hands it the data layer as
 * an UploadHost. It imports no module of the data layer itself. A chunk
 * loaded on demand that shares modules with the first screen makes the
 * bundler split the first screen's chunks, and that costs the first
 * screen about half a kilobyte of gzip.
 */

/** The parts of the data layer that the uploader uses. */
export interface UploadHost {
  db: MessengerDb;
  log: typeof log;
  enqueue: typeof enqueue;
  pumpOutbox: typeof pumpOutbox;
  retryDelay: typeof retryDelay;
  encodeMessage: typeof encodeMessage;
  apiRequest: typeof apiRequest;
  ApiFailure: typeof ApiFailure;
  /** Replaces the HTTP transport built from `apiRequest`, for tests. */
  transport?: UploadTransport;
}

/** Server errors (5xx) in a row after which an upload is marked failed. */
const MAX_SERVER_ATTEMPTS = 5;
/**
 * Longest `retryAfter` of a rate limit that the uploader waits out. A
 * longer one (the hourly and daily upload limits) fails the upload with
 * the server's message, which states when to try again.
 */
const MAX_RATE_LIMIT_WAIT_S = 60;

/** Aborts the running upload of a message, for a cancel in this tab. */
const running = new Map<string, AbortController>();
let loop: Promise<void> | null = null;
let again = false;

/**
 * Runs every queued upload, one at a time, until none is left. Calls while
 * it runs make it look for new uploads once more. Never rejects. Across
 * tabs a Web Lock lets only one tab upload at a time.
 */
export function runUploads(host: UploadHost): Promise<void> {
  again = true;
  loop ??= withUploadLock(() => uploadAll(host)).finally(() => {
    loop = null;
    if (again) void runUploads(host);
  });
  return loop;
}

async function withUploadLock(run: () => Promise<void>): Promise<void> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (locks === undefined) return run();
  await locks.request("messenger.media.uploads", run);
}

async function uploadAll(host: UploadHost): Promise<void> {
  while (again) {
    again = false;
    try {
      // Message ids are UUIDv7, so key order is the order of sending.
      const queued = await host.db.uploads
        .filter((row) => row.state === "queued")
        .toArray();
      for (const row of queued) await uploadOne(row, host);
    } catch (error) {
      host.log("upload_loop_failed", { error: String(error) });
    }
  }
}

/** Aborts the upload of `messageId` when this tab runs it. */
export function abortUpload(messageId: string): void {
  running.get(messageId)?.abort();
}

let channel: BroadcastChannel | null = null;
/** Bytes of each upload sent so far, shown again while it waits. */
const loaded = new Map<string, number>();

/**
 * Posts the progress of an upload on the transfer channel, which every
 * tab's transfers.ts reads, this tab's included.
 */
function report(mediaId: string, transfer: Transfer | undefined): void {
  if (transfer === undefined) loaded.delete(mediaId);
  else loaded.set(mediaId, transfer.loaded);
  if (typeof BroadcastChannel === "undefined") return;
  channel ??= new BroadcastChannel(MEDIA_TRANSFER_CHANNEL);
  channel.postMessage({ mediaId, transfer: transfer ?? null });
}

interface Step {
  row: UploadRow;
  host: UploadHost;
  transport: UploadTransport;
  signal: AbortSignal;
}

async function uploadOne(row: UploadRow, host: UploadHost) {
  const ids = { chatId: row.chatId, messageId: row.messageId };
  const controller = new AbortController();
  running.set(row.messageId, controller);
  const transport =
    host.transport ?? browserTransport(host.apiRequest, host.ApiFailure);
  const step: Step = { row, host, transport, signal: controller.signal };
  host.log("upload_started", { ...ids, size: row.file.size });
  try {
    await sendFile(step);
    host.log("upload_finished", ids);
  } catch (error) {
    if (error instanceof UploadCancelled || controller.signal.aborted) {
      host.log("upload_cancelled", ids);
      report(row.item.id, undefined);
      return;
    }
    host.log("upload_failed", { ...ids, error: String(error) });
    await failUpload(step, reasonOf(step, error));
  } finally {
    running.delete(row.messageId);
  }
}

class UploadCancelled extends Error {
  override readonly name = "UploadCancelled";
}

function reasonOf(step: Step, error: unknown): string {
  if (error instanceof step.host.ApiFailure) return error.message;
  if (error instanceof DOMException && error.name === "NotReadableError") {
    return "The file can no longer be read. Choose it again.";
  }
  return `The upload failed: ${String(error)}`;
}

async function sendFile(step: Step): Promise<void> {
  const { row, host } = step;
  const cipher = await importFileSecret(row.item);
  const size = cipherSize(row.file.size);
  let server = row.mediaId === null ? null : await askState(step, row.mediaId);
  if (server === null) {
    server = await createUpload(step, size);
  }

  const mediaId = server.mediaId;
  const done = new Set(server.done);
  const digests = [...row.digests];
  const progress = progressReporter(row, size);
  let sent = [...done].reduce((sum, part) => sum + partBytes(size, part), 0);

  // A part the server has is read again only when its digest is missing,
  // because the tab closed between sending it and storing the digest.
  for (let part = 1; part <= partCount(size); part++) {
    if (digests[part - 1] !== undefined && done.has(part)) continue;
    const bytes = await encryptPart(row.file, cipher, part);
    digests[part - 1] = toBase64url(await partDigest(bytes));
    if (!done.has(part)) {
      await stillQueued(step);
      const path = `${filePath(row, mediaId)}/parts/${part}`;
      await withRetries(step, "part", () =>
        step.transport.putPart(
          path,
          bytes,
          (bytesSent) => progress(sent + bytesSent),
          step.signal,
        ),
      );
      sent += bytes.length;
      done.add(part);
    }
    await host.db.uploads.update(row.messageId, {
      done: [...done].sort((a, b) => a - b),
      digests,
    });
  }

  if (!server.complete) {
    await withRetries(step, "complete", () =>
      step.transport.request(
        "POST",
        `${filePath(row, mediaId)}/complete`,
        UploadState,
        undefined,
        step.signal,
      ),
    );
  }
  const hash = await fileHash(digests.map((digest) => fromBase64url(digest)!));
  await finishUpload(step, mediaId, hash);
}

function filePath(row: UploadRow, mediaId: string): string {
  return `/chats/${row.chatId}/media/${mediaId}`;
}

/** Reports progress in plaintext bytes, the size the person chose. */
function progressReporter(row: UploadRow, size: number) {
  const total = row.file.size;
  return (cipherSent: number) => {
    const done = Math.min(total, Math.round((cipherSent / size) * total));
    report(row.item.id, {
      direction: "up",
      loaded: done,
      total,
      state: "running",
    });
  };
}

/**
 * Returns which parts the server has, or null when the server has no such
 * upload any more (never attached, so deleted after a day). The upload
 * then starts over.
 */
async function askState(step: Step, mediaId: string) {
  try {
    return await withRetries(step, "state", () =>
      step.transport.request(
        "GET",
        `${filePath(step.row, mediaId)}/upload`,
        UploadState,
        undefined,
        step.signal,
      ),
    );
  } catch (error) {
    if (error instanceof step.host.ApiFailure && error.code === "not_found") {
      step.host.log("upload_restarted", {
        messageId: step.row.messageId,
        mediaId,
      });
      return null;
    }
    throw error;
  }
}

async function createUpload(step: Step, size: number) {
  const { row, host } = step;
  const state = await withRetries(step, "create", () =>
    step.transport.request(
      "POST",
      `/chats/${row.chatId}/media`,
      UploadState,
      { size },
      step.signal,
    ),
  );
  const updated = await host.db.uploads.update(row.messageId, {
    mediaId: state.mediaId,
    done: [],
    digests: [],
  });
  row.digests = [];
  if (updated === 0) {
    await deleteOnServer(step, state.mediaId);
    throw new UploadCancelled();
  }
  return state;
}

/** Raises UploadCancelled when the upload row was deleted meanwhile. */
async function stillQueued(step: Step): Promise<void> {
  const row = await step.host.db.uploads.get(step.row.messageId);
  if (row?.state !== "queued") throw new UploadCancelled();
}

/**
 * Returns the delay before retrying after `error`, or null when retrying
 * cannot help and the upload fails with the error's message.
 */
function retryDelayOf(
  step: Step,
  error: unknown,
  attempt: number,
): number | null {
  const { host } = step;
  if (!(error instanceof host.ApiFailure)) return null;
  if (error.status === 0) return host.retryDelay(Math.min(attempt, 6));
  if (error.code === "rate_limited") {
    const seconds = error.retryAfter ?? 1;
    return seconds <= MAX_RATE_LIMIT_WAIT_S ? seconds * 1000 : null;
  }
  if (error.code === "internal" && attempt + 1 < MAX_SERVER_ATTEMPTS) {
    return host.retryDelay(attempt);
  }
  return null;
}

/**
 * Runs a request until it succeeds. After a network failure it waits
 * (state `waiting`) and retries for as long as it takes. Server errors
 * and short rate limits are retried a few times, and other errors raised.
 */
async function withRetries<T>(
  step: Step,
  label: string,
  request: () => Promise<T>,
): Promise<T> {
  const { row, host } = step;
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const delay = step.signal.aborted
        ? null
        : retryDelayOf(step, error, attempt);
      if (delay === null) throw error;
      host.log("upload_retry", {
        chatId: row.chatId,
        messageId: row.messageId,
        step: label,
        attempt,
        delay,
        code: error instanceof host.ApiFailure ? error.code : undefined,
      });
      report(row.item.id, {
        direction: "up",
        loaded: loaded.get(row.item.id) ?? 0,
        total: row.file.size,
        state: "waiting",
      });
      await waitOrOnline(delay, step.signal);
      await stillQueued(step);
    }
  }
}

/** Waits `ms`, ending early when the browser reports that it is online. */
function waitOrOnline(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      globalThis.removeEventListener?.("online", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    globalThis.addEventListener?.("online", done);
    signal.addEventListener("abort", done);
  });
}

/**
 * Hands a finished upload to the outbox: the decrypted copy goes into the
 * media cache (so the sender never downloads its own file), the message
 * row and body get the final MediaItem, and the message is queued. An
 * upload cancelled meanwhile leaves no cached copy.
 */
async function finishUpload(step: Step, mediaId: string, hash: string) {
  const { row, host } = step;
  const { db } = host;
  const item = { ...row.item, id: mediaId, hash };
  if ((await db.uploads.get(row.messageId)) === undefined) {
    await cancelFinished(step, mediaId);
  }
  const cached = await cacheOwnFile(step, mediaId);
  const body = host.encodeMessage(row.caption, row.replyTo ?? undefined, item);
  const tables = [db.uploads, db.messages, db.outbox, db.mediaFiles];
  const queued = await db.transaction("rw", tables, async () => {
    if ((await db.uploads.get(row.messageId)) === undefined) return false;
    const { messageId, chatId } = row;
    await db.uploads.delete(messageId);
    await db.mediaFiles.put({
      id: mediaId,
      chatId,
      messageId,
      item,
      cachedBytes: cached ? row.file.size : null,
    });
    await db.messages.update(messageId, { media: item, body });
    await host.enqueue({
      id: messageId,
      chatId,
      kind: "message",
      body,
      attempts: 0,
      media: [mediaId],
    });
    return true;
  });
  // A cancel between the cache put and the transaction leaves a cached
  // copy that no mediaFiles row lists, so it is deleted here.
  if (!queued) {
    if (cached) await uncacheOwnFile(mediaId);
    await cancelFinished(step, mediaId);
  }
  const total = row.file.size;
  report(row.item.id, { direction: "up", loaded: total, total, state: "done" });
  await host.pumpOutbox();
}

/**
 * Deletes the copy that `cacheOwnFile` stored. It calls Cache Storage
 * itself, because importing media/cache.ts here moves that module out of
 * the first screen's chunk into one more request.
 */
async function uncacheOwnFile(mediaId: string): Promise<void> {
  const cache = await caches.open(MEDIA_CACHE);
  await cache.delete(mediaPath(mediaId));
}

/** Deletes the finished upload of a cancelled message and raises. */
async function cancelFinished(step: Step, mediaId: string): Promise<never> {
  await deleteOnServer(step, mediaId);
  throw new UploadCancelled();
}

/** Keeps the sender's own file in the media cache, when there is room. */
async function cacheOwnFile(step: Step, mediaId: string): Promise<boolean> {
  const { row } = step;
  try {
    return await storeCachedFile(mediaId, row.file, row.item.mime);
  } catch (error) {
    step.host.log("media_cache_put_failed", {
      mediaId,
      error: String(error),
    });
    return false;
  }
}

async function failUpload(step: Step, reason: string): Promise<void> {
  const { row, host } = step;
  const { db } = host;
  await db.transaction("rw", [db.uploads, db.messages], async () => {
    const updated = await db.uploads.update(row.messageId, {
      state: "failed",
      error: reason,
    });
    if (updated === 0) return;
    await db.messages.update(row.messageId, {
      status: "failed",
      error: reason,
    });
  });
  report(row.item.id, {
    direction: "up",
    loaded: 0,
    total: row.file.size,
    state: "failed",
    error: reason,
  });
}

/** Deletes an upload on the server; a failure leaves it to expire. */
async function deleteOnServer(step: Step, mediaId: string): Promise<void> {
  const { chatId } = step.row;
  try {
    await step.transport.request(
      "DELETE",
      `/chats/${chatId}/media/${mediaId}`,
      null,
      undefined,
      new AbortController().signal,
    );
  } catch (error) {
    // The server deletes uploads never attached after a day anyway.
    step.host.log("upload_delete_failed", {
      chatId,
      mediaId,
      error: String(error),
    });
  }
}
