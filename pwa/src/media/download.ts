import { cipherSize, partBytes } from "../../../protocol/index.ts";
import { failureOf } from "../data/api.ts";
import { db } from "../data/db.ts";
import { log } from "../data/log.ts";
import { ApiFailure } from "../data/types.ts";
import { messageIdOf } from "./cached-files.ts";
import { storeCachedFile } from "./file-cache.ts";
import {
  CHUNKS_PER_PART,
  decryptChunks,
  fileHash,
  importFileSecret,
  MediaIntegrityError,
  partDigest,
} from "./crypto.ts";
import { DAMAGED_TEXT, GONE_TEXT, INTERRUPTED_TEXT } from "./failure-text.ts";
import { setTransfer } from "./transfers.ts";
import type { MediaItem } from "./types.ts";

/**
 * Downloads: the ciphertext is read as a stream, decrypted part by part,
 * and checked against the MediaItem's hash before the plaintext is kept
 * in the media cache. A file that fails the check is never kept.
 */

export interface DownloadOptions {
  fetch: typeof fetch;
  signal: AbortSignal;
  /** Called with the plaintext bytes decrypted so far. */
  progress(loaded: number): void;
}

/**
 * Fetches, decrypts and verifies a file, and returns its plaintext.
 * Raises ApiFailure when the server rejects the request or cannot be
 * reached, and MediaIntegrityError when the file is damaged or its hash
 * does not match.
 */
export async function fetchFile(
  chatId: string,
  item: MediaItem,
  options: DownloadOptions,
): Promise<Blob> {
  const cipher = await importFileSecret(item);
  const response = await request(chatId, item.id, options);

  const expected = cipherSize(item.size);
  const reader = response.body!.getReader();
  const pieces: BlobPart[] = [];
  const digests: Uint8Array[] = [];
  let part = 1;
  let buffer = new Uint8Array(partBytes(expected, part));
  let filled = 0;
  let received = 0;

  // Ciphertext collects into one upload part at a time, because the hash
  // covers the digests of the parts.
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.length;
    if (received > expected) {
      await reader.cancel();
      throw new MediaIntegrityError("The file is longer than declared.");
    }
    let offset = 0;
    while (offset < value.length) {
      const take = Math.min(buffer.length - filled, value.length - offset);
      buffer.set(value.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled < buffer.length) continue;
      digests.push(await partDigest(buffer));
      const first = (part - 1) * CHUNKS_PER_PART;
      pieces.push(await decryptChunks(cipher, item.size, first, buffer));
      part++;
      buffer = new Uint8Array(partBytes(expected, part));
      filled = 0;
    }
    options.progress(Math.round((received / expected) * item.size));
  }

  if (received < expected) {
    throw new MediaIntegrityError(
      `The file ended after ${received} of ${expected} bytes.`,
    );
  }
  if ((await fileHash(digests)) !== item.hash) {
    throw new MediaIntegrityError("The file does not match its hash.");
  }
  return new Blob(pieces, { type: item.mime });
}

async function request(
  chatId: string,
  mediaId: string,
  options: DownloadOptions,
): Promise<Response> {
  let response: Response;
  try {
    response = await options.fetch(`/api/chats/${chatId}/media/${mediaId}`, {
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    throw new ApiFailure(
      "internal",
      "Cannot reach the server. Check your connection and try again.",
      0,
    );
  }
  if (!response.ok) throw await failureOf(response);
  if (response.body === null) {
    throw new ApiFailure("internal", "The server sent an empty file.", 500);
  }
  return response;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

const running = new Map<string, Running>();
/**
 * Downloaded files that Cache Storage could not keep (missing or full),
 * so that they still show while the page lives. Each counts only while
 * its `mediaFiles` row exists, so a logout, which wipes the table, also
 * ends their use.
 */
const uncached = new Map<string, Blob>();

/** Returns a downloaded file that the media cache could not keep. */
export function uncachedFile(mediaId: string): Blob | undefined {
  return uncached.get(mediaId);
}

/** Forgets the downloaded files kept in memory. */
export function forgetUncachedFiles(): void {
  uncached.clear();
}

/**
 * Downloads, decrypts, checks and caches a file, reporting progress
 * through `transferOf`. Calls for a file already downloading share that
 * download. Rejects with an Error for the person when the download fails
 * or the file is damaged; a cancel resolves.
 */
export function downloadMedia(chatId: string, item: MediaItem) {
  const current = running.get(item.id);
  if (current !== undefined) return current.done;
  const controller = new AbortController();
  const done = download(chatId, item, controller.signal).finally(() => {
    running.delete(item.id);
  });
  running.set(item.id, { controller, done });
  return done;
}

/** Cancels a running download; its transfer disappears. */
export function cancelDownload(mediaId: string): void {
  running.get(mediaId)?.controller.abort();
}

async function download(chatId: string, item: MediaItem, signal: AbortSignal) {
  const known = await db.mediaFiles.get(item.id);
  if (known !== undefined) {
    if (known.cachedBytes !== null || uncached.has(item.id)) return;
  }
  uncached.delete(item.id);
  const total = item.size;
  const report = (loaded: number) =>
    setTransfer(item.id, {
      direction: "down",
      loaded,
      total,
      state: "running",
    });
  report(0);

  let file: Blob;
  try {
    file = await fetchFile(chatId, item, {
      fetch: (input, init) => fetch(input, init),
      signal,
      progress: report,
    });
  } catch (error) {
    if (signal.aborted) {
      setTransfer(item.id, undefined);
      return;
    }
    const reason = downloadError(error);
    log("media_download_failed", { chatId, mediaId: item.id, error: reason });
    setTransfer(item.id, {
      direction: "down",
      loaded: 0,
      total,
      state: "failed",
      error: reason,
    });
    throw new Error(reason, { cause: error });
  }

  const cached = await cacheFile(item.id, file, item.mime);
  if (!cached) uncached.set(item.id, file);
  await db.mediaFiles.put({
    id: item.id,
    chatId,
    messageId: known?.messageId ?? (await messageIdOf(item.id)),
    item,
    cachedBytes: cached ? file.size : null,
  });
  setTransfer(item.id, {
    direction: "down",
    loaded: total,
    total,
    state: "done",
  });
}

/** Stores a decrypted file; false when Cache Storage is missing or full. */
async function cacheFile(mediaId: string, file: Blob, mime: string) {
  try {
    return await storeCachedFile(mediaId, file, mime);
  } catch (error) {
    log("media_cache_put_failed", { mediaId, error: String(error) });
    return false;
  }
}

function downloadError(error: unknown): string {
  if (error instanceof MediaIntegrityError) {
    return DAMAGED_TEXT;
  }
  if (error instanceof ApiFailure) {
    return error.status === 404 ? GONE_TEXT : error.message;
  }
  // Reading the body raises a TypeError when the connection drops.
  if (error instanceof TypeError) {
    return INTERRUPTED_TEXT;
  }
  return `The download failed: ${String(error)}`;
}
