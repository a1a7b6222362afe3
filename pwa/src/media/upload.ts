import {
  cipherSize,
  partBytes,
  partCount,
  UploadState,
} from "../../../protocol/media.ts";
import { fromBase64url, toBase64url } from "../crypto/encoding.ts";
import { encodeMessage } from "../data/codec.ts";
import { db, type UploadRow } from "../data/db.ts";
import { log } from "../data/log.ts";
import { enqueue, pumpOutbox, retryDelay } from "../data/outbox.ts";
// From the data layer's public module, not types.ts: a chunk loaded on
// demand that imports only part of the data layer makes the bundler split
// that part off the first screen's chunk, which costs the first screen
// about 0.8 KB of gzip.
import { ApiFailure } from "../data/index.ts";
import { storeCachedFile } from "./cached-files.ts";
import {
  encryptPart,
  fileHash,
  importFileSecret,
  partDigest,
} from "./crypto.ts";
import { currentTransfer, setTransfer } from "./transfers.ts";
import { browserTransport, type UploadTransport } from "./upload-http.ts";

/**
 * The uploader: runs the queued uploads of the `uploads` table one at a
 * time, in the tab that runs the outbox. Each upload is created on the
 * server, sent part by part (each part encrypted just before it is sent),
 * completed, and then its message is queued in the outbox with the file's
 * key and hash. Before each part the server is asked which parts it has,
 * so a reload or a lost connection resends only the missing ones.
 */

export interface UploaderOptions {
  transport: UploadTransport;
  /** Resolves after `ms`, or earlier when the network comes back. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

/** Server errors (5xx) in a row after which an upload is marked failed. */
const MAX_SERVER_ATTEMPTS = 5;

const defaultOptions: UploaderOptions = {
  transport: browserTransport,
  wait: waitOrOnline,
};

/** Aborts the running upload of a message, for a cancel in this tab. */
const running = new Map<string, AbortController>();
let loop: Promise<void> | null = null;
let again = false;

/**
 * Runs every queued upload, one at a time, until none is left. Calls while
 * it runs make it look for new uploads once more. Never rejects. Across
 * tabs a Web Lock lets only one tab upload at a time.
 */
export function runUploads(options = defaultOptions): Promise<void> {
  again = true;
  loop ??= withUploadLock(() => uploadAll(options)).finally(() => {
    loop = null;
    if (again) void runUploads(options);
  });
  return loop;
}

async function withUploadLock(run: () => Promise<void>): Promise<void> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (locks === undefined) return run();
  await locks.request("messenger.media.uploads", run);
}

async function uploadAll(options: UploaderOptions): Promise<void> {
  while (again) {
    again = false;
    try {
      // Message ids are UUIDv7, so key order is the order of sending.
      const queued = await db.uploads
        .filter((row) => row.state === "queued")
        .toArray();
      for (const row of queued) await uploadOne(row, options);
    } catch (error) {
      log("upload_loop_failed", { error: String(error) });
    }
  }
}

/** Aborts the upload of `messageId` when this tab runs it. */
export function abortUpload(messageId: string): void {
  running.get(messageId)?.abort();
}

interface Step {
  row: UploadRow;
  options: UploaderOptions;
  signal: AbortSignal;
}

async function uploadOne(row: UploadRow, options: UploaderOptions) {
  const ids = { chatId: row.chatId, messageId: row.messageId };
  const controller = new AbortController();
  running.set(row.messageId, controller);
  const step: Step = { row, options, signal: controller.signal };
  log("upload_started", { ...ids, size: row.file.size });
  try {
    await sendFile(step);
    log("upload_finished", ids);
  } catch (error) {
    if (error instanceof UploadCancelled || controller.signal.aborted) {
      log("upload_cancelled", ids);
      setTransfer(row.item.id, undefined);
      return;
    }
    log("upload_failed", { ...ids, error: String(error) });
    await failUpload(row, reasonOf(error));
  } finally {
    running.delete(row.messageId);
  }
}

class UploadCancelled extends Error {
  override readonly name = "UploadCancelled";
}

function reasonOf(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof DOMException && error.name === "NotReadableError") {
    return "The file can no longer be read. Choose it again.";
  }
  return `The upload failed: ${String(error)}`;
}

async function sendFile(step: Step): Promise<void> {
  const { row } = step;
  const cipher = await importFileSecret(row.item);
  const size = cipherSize(row.file.size);
  let server = row.mediaId === null ? null : await askState(step, row.mediaId);
  if (server === null) {
    server = await createUpload(step, size);
  }
  const mediaId = server.mediaId;
  const done = new Set(server.done);
  const digests = [...row.digests];
  const report = progressReporter(row, size);
  let sent = [...done].reduce((sum, part) => sum + partBytes(size, part), 0);
  for (let part = 1; part <= partCount(size); part++) {
    if (digests[part - 1] !== undefined && done.has(part)) continue;
    const bytes = await encryptPart(row.file, cipher, part);
    digests[part - 1] = toBase64url(await partDigest(bytes));
    if (!done.has(part)) {
      await stillQueued(row.messageId);
      const path = `${filePath(row, mediaId)}/parts/${part}`;
      await withRetries(step, "part", () =>
        step.options.transport.putPart(
          path,
          bytes,
          (bytesSent) => report(sent + bytesSent, "running"),
          step.signal,
        ),
      );
      sent += bytes.length;
      done.add(part);
    }
    await db.uploads.update(row.messageId, {
      done: [...done].sort((a, b) => a - b),
      digests,
    });
  }
  if (!server.complete) {
    await withRetries(step, "complete", () =>
      step.options.transport.request(
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

/** Reports progress in plaintext bytes, as the person knows the file. */
function progressReporter(row: UploadRow, size: number) {
  const total = row.file.size;
  return (cipherSent: number, state: "running" | "waiting") => {
    const loaded = Math.min(total, Math.round((cipherSent / size) * total));
    setTransfer(row.item.id, { direction: "up", loaded, total, state });
  };
}

/**
 * Returns which parts the server has, or null when it no longer knows
 * the upload (never attached, so deleted after a day), which then starts
 * over.
 */
async function askState(step: Step, mediaId: string) {
  try {
    return await withRetries(step, "state", () =>
      step.options.transport.request(
        "GET",
        `${filePath(step.row, mediaId)}/upload`,
        UploadState,
        undefined,
        step.signal,
      ),
    );
  } catch (error) {
    if (error instanceof ApiFailure && error.code === "not_found") {
      log("upload_restarted", { messageId: step.row.messageId, mediaId });
      return null;
    }
    throw error;
  }
}

async function createUpload(step: Step, size: number) {
  const { row } = step;
  const state = await withRetries(step, "create", () =>
    step.options.transport.request(
      "POST",
      `/chats/${row.chatId}/media`,
      UploadState,
      { size },
      step.signal,
    ),
  );
  const updated = await db.uploads.update(row.messageId, {
    mediaId: state.mediaId,
    done: [],
    digests: [],
  });
  row.digests = [];
  if (updated === 0) {
    await deleteOnServer(step.options.transport, row.chatId, state.mediaId);
    throw new UploadCancelled();
  }
  return state;
}

/** Raises UploadCancelled when the upload row was deleted meanwhile. */
async function stillQueued(messageId: string): Promise<void> {
  const row = await db.uploads.get(messageId);
  if (row?.state !== "queued") throw new UploadCancelled();
}

/**
 * Returns the delay before retrying after `error`, or null when retrying
 * cannot help and the upload fails with the error's message.
 */
function retryDelayOf(error: unknown, attempt: number): number | null {
  if (!(error instanceof ApiFailure)) return null;
  if (error.status === 0) return retryDelay(Math.min(attempt, 6));
  if (error.code === "rate_limited") return (error.retryAfter ?? 1) * 1000;
  if (error.code === "internal" && attempt + 1 < MAX_SERVER_ATTEMPTS) {
    return retryDelay(attempt);
  }
  return null;
}

/**
 * Runs a request until it succeeds. A network failure waits (state
 * `waiting`) and retries for as long as it takes; server errors retry a
 * few times with backoff; other errors are raised.
 */
async function withRetries<T>(
  step: Step,
  label: string,
  request: () => Promise<T>,
): Promise<T> {
  const { row } = step;
  for (let attempt = 0; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const delay = step.signal.aborted ? null : retryDelayOf(error, attempt);
      if (delay === null) throw error;
      log("upload_retry", {
        chatId: row.chatId,
        messageId: row.messageId,
        step: label,
        attempt,
        delay,
        code: error instanceof ApiFailure ? error.code : undefined,
      });
      setTransfer(row.item.id, {
        direction: "up",
        loaded: currentTransfer(row.item.id)?.loaded ?? 0,
        total: row.file.size,
        state: "waiting",
      });
      await step.options.wait(delay, step.signal);
      await stillQueued(row.messageId);
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
 * row and body get the final MediaItem, and the message is queued.
 */
async function finishUpload(step: Step, mediaId: string, hash: string) {
  const { row } = step;
  const item = { ...row.item, id: mediaId, hash };
  const cached = await storeCachedFile(mediaId, row.file, item.mime);
  const body = encodeMessage(row.caption, row.replyTo ?? undefined, item);
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
    await enqueue({
      id: messageId,
      chatId,
      kind: "message",
      body,
      attempts: 0,
      media: [mediaId],
    });
    return true;
  });
  if (!queued) {
    await deleteOnServer(step.options.transport, row.chatId, mediaId);
    throw new UploadCancelled();
  }
  const total = row.file.size;
  setTransfer(row.item.id, {
    direction: "up",
    loaded: total,
    total,
    state: "done",
  });
  await pumpOutbox();
}

async function failUpload(row: UploadRow, reason: string): Promise<void> {
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
  setTransfer(row.item.id, {
    direction: "up",
    loaded: 0,
    total: row.file.size,
    state: "failed",
    error: reason,
  });
}

/** Deletes an upload on the server; a failure leaves it to expire. */
export async function deleteOnServer(
  transport: UploadTransport,
  chatId: string,
  mediaId: string,
): Promise<void> {
  try {
    await transport.request(
      "DELETE",
      `/chats/${chatId}/media/${mediaId}`,
      null,
      undefined,
      new AbortController().signal,
    );
  } catch (error) {
    // The server deletes uploads never attached after a day anyway.
    log("upload_delete_failed", { chatId, mediaId, error: String(error) });
  }
}
