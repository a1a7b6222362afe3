import {
  cipherSize,
  MEDIA_CACHE,
  MEDIA_CIPHER_CHUNK_BYTES,
  mediaPath,
  type MediaReadError,
} from "../../protocol/index.ts";
import { db } from "../src/data/db.ts";
import { log } from "../src/data/log.ts";
import { contentDisposition } from "../src/media/content-disposition.ts";
import {
  chunkRange,
  decryptChunks,
  importFileSecret,
  MediaIntegrityError,
  type FileCipher,
} from "../src/media/crypto.ts";
import type { MediaItem } from "../src/media/types.ts";

/**
 * GET /media/<mediaId> in the service worker: the decrypted file, with
 * Range support so that <video> and <audio> can seek. A cached copy is
 * served from the media cache. Otherwise the worker reads the MediaItem
 * that the page stored, fetches only the ciphertext chunks that cover the
 * requested range, and decrypts them, so a video plays and seeks without
 * downloading everything first.
 *
 * The first slice of a streamed range is fetched and decrypted before the
 * reply. A file the server no longer has, or whose first chunks are
 * damaged, thus gets an error status with a MediaReadError body, not a 200
 * or 206 whose body breaks off. A failure in a later slice errors the body
 * stream, which a player reports as a network or decode error.
 *
 * NOTE: a streamed range is authenticated chunk by chunk (AES-GCM), but
 * the whole-file hash is checked only by a full download.
 */

/** Chunks fetched per request while streaming, 1 MiB of plaintext. */
const CHUNKS_PER_FETCH = 16;

/** A byte range, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a Range header for a file of `size` bytes. Returns null for no
 * header or one this route ignores (several ranges, other units), which
 * gets the whole file, and "unsatisfiable" for a range outside the file.
 */
export function parseRange(
  header: string | null,
  size: number,
): ByteRange | null | "unsatisfiable" {
  if (header === null) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return null;
  return { start, end };
}

function baseHeaders(item: Pick<MediaItem, "mime" | "name">, url: URL) {
  const headers = new Headers({
    "Content-Type": item.mime === "" ? "application/octet-stream" : item.mime,
    "Accept-Ranges": "bytes",
    "Cache-Control": "no-store",
    // The type is the sender's word, so a browser neither sniffs another
    // one nor runs a script of a file that is rendered as a document.
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox",
  });
  if (url.searchParams.get("download") === "1") {
    headers.set("Content-Disposition", contentDisposition(item.name));
  }
  return headers;
}

function rangeResponse(
  body: BodyInit | null,
  headers: Headers,
  range: ByteRange | null,
  size: number,
): Response {
  if (range === null) {
    headers.set("Content-Length", String(size));
    return new Response(body, { status: 200, headers });
  }
  headers.set("Content-Length", String(range.end - range.start + 1));
  headers.set("Content-Range", `bytes ${range.start}-${range.end}/${size}`);
  return new Response(body, { status: 206, headers });
}

function unsatisfiable(size: number): Response {
  return new Response(null, {
    status: 416,
    headers: { "Content-Range": `bytes */${size}` },
  });
}

/** Serves GET /media/<mediaId>. */
export async function serveMedia(
  request: Request,
  mediaId: string,
): Promise<Response> {
  const url = new URL(request.url);
  const row = await db.mediaFiles.get(mediaId);

  const cached = await caches
    .open(MEDIA_CACHE)
    .then((cache) => cache.match(mediaPath(mediaId)));
  if (cached !== undefined) {
    const blob = await cached.blob();
    const item = row?.item ?? {
      mime: cached.headers.get("Content-Type") ?? "",
      name: "",
    };
    const range = parseRange(request.headers.get("Range"), blob.size);
    if (range === "unsatisfiable") return unsatisfiable(blob.size);
    const body = range === null ? blob : blob.slice(range.start, range.end + 1);
    return rangeResponse(body, baseHeaders(item, url), range, blob.size);
  }

  if (row === undefined) {
    return new Response("This file is not on this device.", { status: 404 });
  }
  const { item, chatId } = row;
  const range = parseRange(request.headers.get("Range"), item.size);
  if (range === "unsatisfiable") return unsatisfiable(item.size);
  const cipher = await importFileSecret(item);
  const requested = range ?? { start: 0, end: Math.max(0, item.size - 1) };
  const source = `/api/chats/${chatId}/media/${mediaId}`;
  if (item.size === 0) {
    return rangeResponse(null, baseHeaders(item, url), range, 0);
  }
  const next = sliceReader(source, cipher, item.size, requested, request);
  let first: Uint8Array;
  try {
    first = (await next())!;
  } catch (error) {
    const failure = readFailure(error, request.signal);
    log("sw.media_stream_failed", { mediaId, code: failure.body.code });
    return errorResponse(failure);
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first);
    },
    async pull(controller) {
      try {
        const slice = await next();
        if (slice === null) controller.close();
        else controller.enqueue(slice);
      } catch (error) {
        const failure = readFailure(error, request.signal);
        log("sw.media_stream_failed", { mediaId, code: failure.body.code });
        controller.error(failure);
      }
    },
  });
  return rangeResponse(body, baseHeaders(item, url), range, item.size);
}

/** A failed read of a streamed file, with the status to reply with. */
class ReadFailure extends Error {
  override readonly name = "ReadFailure";
  readonly body: MediaReadError;
  readonly status: number;

  constructor(code: MediaReadError["code"], message: string, status: number) {
    super(message);
    this.body = { code, message };
    this.status = status;
  }
}

/**
 * Turns an error of fetching or decrypting a slice into a ReadFailure.
 * Re-raises an abort, because the player that cancelled reads no reply.
 */
function readFailure(error: unknown, signal: AbortSignal): ReadFailure {
  if (error instanceof ReadFailure) return error;
  if (signal.aborted) throw error;
  if (error instanceof MediaIntegrityError) {
    return new ReadFailure(
      "damaged",
      "This file is damaged or was changed on the way.",
      502,
    );
  }
  return new ReadFailure(
    "unavailable",
    `Reading the file failed: ${String(error)}. Check your connection and ` +
      "try again.",
    502,
  );
}

function errorResponse(failure: ReadFailure): Response {
  return new Response(JSON.stringify(failure.body), {
    status: failure.status,
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
    },
  });
}

/**
 * Returns a function that yields the plaintext bytes `range` of a file in
 * slices, then null. Each call fetches and decrypts CHUNKS_PER_FETCH
 * chunks, so a player that stops reading stops the downloads.
 */
function sliceReader(
  source: string,
  cipher: FileCipher,
  plainBytes: number,
  range: ByteRange,
  request: Request,
): () => Promise<Uint8Array | null> {
  let position = range.start;
  return async () => {
    if (position > range.end) return null;
    const window = chunkRange(plainBytes, position, range.end);
    const lastChunk = Math.min(
      window.lastChunk,
      window.firstChunk + CHUNKS_PER_FETCH - 1,
    );
    const plain = await fetchChunks(
      source,
      cipher,
      plainBytes,
      window.firstChunk,
      lastChunk,
      request.signal,
    );
    const from = position - window.plainStart;
    const to = Math.min(plain.length, range.end - window.plainStart + 1);
    position = window.plainStart + to;
    return plain.subarray(from, to);
  };
}

/** Fetches and decrypts chunks `firstChunk`..`lastChunk` (inclusive). */
async function fetchChunks(
  source: string,
  cipher: FileCipher,
  plainBytes: number,
  firstChunk: number,
  lastChunk: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const from = firstChunk * MEDIA_CIPHER_CHUNK_BYTES;
  const to =
    Math.min(
      cipherSize(plainBytes),
      (lastChunk + 1) * MEDIA_CIPHER_CHUNK_BYTES,
    ) - 1;
  const response = await fetch(source, {
    credentials: "same-origin",
    headers: { Range: `bytes=${from}-${to}` },
    signal,
  });
  if (response.status !== 206 && response.status !== 200) {
    log("sw.media_fetch_failed", { source, status: response.status });
    throw upstreamFailure(response.status);
  }
  let bytes = new Uint8Array(await response.arrayBuffer());
  // A server that ignores Range sends the whole file.
  if (response.status === 200) bytes = bytes.subarray(from, to + 1);
  return decryptChunks(cipher, plainBytes, firstChunk, bytes);
}

/** Returns the failure to pass on for a server reply of `status`. */
function upstreamFailure(status: number): ReadFailure {
  if (status === 404) {
    return new ReadFailure(
      "not_found",
      "This file is no longer available.",
      404,
    );
  }
  if (status === 403) {
    return new ReadFailure(
      "forbidden",
      "You may not read this file. Sign in again if this persists.",
      403,
    );
  }
  return new ReadFailure(
    "unavailable",
    `Fetching the file failed with status ${status}. Try again later.`,
    502,
  );
}
