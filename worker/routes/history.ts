import {
  ApiError,
  deviceId as deviceIdSchema,
  HistoryEnvelope,
  MAX_HISTORY_ARCHIVE_BYTES,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { log } from "../log.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { requireAppOrigin } from "./photos.ts";

/**
 * Link and sync routes (protocol/history.ts). The Worker streams archive
 * bytes between the devices and R2, and the person's UserHub keeps the
 * state of each transfer and decides who may write or read which archive.
 */

/** Validates and returns the `:deviceId` path parameter. */
function targetParam(request: ApiRequest): string {
  const parsed = deviceIdSchema.safeParse(request.params.deviceId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `deviceId: must be a device id as GET /api/devices lists it; got ` +
        `"${String(request.params.deviceId)}".`,
      "deviceId",
    );
  }
  return parsed.data;
}

function archiveTooLarge(): ApiError {
  return new ApiError(
    "too_large",
    `The history archive is over ${MAX_HISTORY_ARCHIVE_BYTES} bytes. Send ` +
      "fewer messages per chat.",
    "body",
  );
}

/**
 * Reads the archive length from Content-Length, which R2 needs before the
 * first byte, and raises too_large above MAX_HISTORY_ARCHIVE_BYTES.
 */
function declaredLength(request: Request): number {
  const header = request.headers.get("Content-Length");
  if (header === null || !/^\d{1,12}$/.test(header)) {
    throw new ApiError(
      "invalid_request",
      "Content-Length: missing or invalid. Send the archive as a body of " +
        "known length (a Blob or an ArrayBuffer).",
      "Content-Length",
    );
  }
  const length = Number(header);
  if (length > MAX_HISTORY_ARCHIVE_BYTES) throw archiveTooLarge();
  if (length === 0) {
    throw new ApiError(
      "invalid_request",
      "The history archive is empty. Send the encrypted archive bytes.",
      "body",
    );
  }
  return length;
}

/**
 * Streams the request body to R2 under `key` through a FixedLengthStream
 * of `length` bytes, counting as it goes. A longer body raises too_large
 * and a shorter one invalid_request, and then R2 keeps nothing of it.
 */
async function streamArchive(
  env: Env,
  request: Request,
  key: string,
  length: number,
): Promise<void> {
  if (request.body === null) throw archiveTooShort(length, 0);
  const fixed = new FixedLengthStream(length);
  const writer = fixed.writable.getWriter();
  const stored = env.MEDIA.put(key, fixed.readable, {
    httpMetadata: { contentType: "application/octet-stream" },
  });
  // The code below awaits it in every case. Until then, this handler
  // keeps an early rejection from counting as unhandled.
  stored.catch(() => undefined);

  const reader = request.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > length) {
      await reader.cancel();
      break;
    }
    await writer.write(value);
  }
  if (received !== length) {
    await writer.abort(new Error("archive has the wrong length"));
    await stored.catch(() => undefined);
    if (received > length) throw archiveTooLong(length);
    throw archiveTooShort(length, received);
  }
  await writer.close();
  await stored;
}

function archiveTooLong(expected: number): ApiError {
  return new ApiError(
    "too_large",
    `The body is longer than the ${expected} bytes that Content-Length ` +
      "declares. Send the archive with its exact length.",
    "body",
  );
}

function archiveTooShort(expected: number, received: number): ApiError {
  return new ApiError(
    "invalid_request",
    `The body ended after ${received} of the ${expected} bytes that ` +
      "Content-Length declares. Upload the archive again.",
    "body",
  );
}

/**
 * PUT /api/devices/:deviceId/history/archive: stores the raw archive.
 * NOTE: uploads are not charged to the media byte limits. Each device
 * keeps at most one archive per waiting device, and a repeat overwrites it.
 */
async function putArchive(request: ApiRequest, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me, deviceId } = await requireSession(request, env);
  const targetId = targetParam(request);
  const length = declaredLength(request);
  const hub = userHub(env, me.id);
  const key = unwrap(await hub.historyUploadKey(deviceId, targetId));
  await streamArchive(env, request, key, length);
  // Another device's envelope may have won while the bytes streamed, and
  // then nothing would ever read or delete this object.
  const stillWaiting = await hub.historyUploadKey(deviceId, targetId);
  if (!stillWaiting.ok) {
    await env.MEDIA.delete(key);
    unwrap(stillWaiting);
  }
  log("history.archive_stored", {
    userId: me.id,
    deviceId,
    targetId,
    bytes: length,
  });
  return new Response(null, { status: 204 });
}

/** POST /api/devices/:deviceId/history: the envelope of the archive. */
async function postEnvelope(request: ApiRequest, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const targetId = targetParam(request);
  const hub = userHub(env, me.id);
  let envelope: HistoryEnvelope;
  try {
    envelope = await readBody(request, HistoryEnvelope);
  } catch (error) {
    // The uploader builds a new archive after any rejection, so the one
    // stored would never be used.
    await hub.discardHistoryArchive(deviceId, targetId);
    throw error;
  }
  return jsonResponse(
    unwrap(await hub.attachHistory(deviceId, targetId, envelope)),
  );
}

/** GET /api/history: the calling device's transfer. */
async function getStatus(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse(await userHub(env, me.id).historyStatus(deviceId));
}

/** GET /api/history/archive: the archive bytes of a `ready` transfer. */
async function getArchive(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const key = unwrap(await userHub(env, me.id).historyArchiveKey(deviceId));
  const object = await env.MEDIA.get(key);
  if (object === null) {
    log("history.archive_missing", { userId: me.id, deviceId });
    throw new ApiError(
      "not_found",
      "The chat history archive is gone. Skip the transfer with " +
        "DELETE /api/history.",
    );
  }
  return new Response(object.body, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(object.size),
      "Cache-Control": "no-store",
    },
  });
}

/** DELETE /api/history: ends the calling device's transfer. */
async function finish(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse(await userHub(env, me.id).finishHistory(deviceId));
}

export function registerHistoryRoutes(router: ApiRouter): void {
  router.put("/api/devices/:deviceId/history/archive", putArchive);
  router.post("/api/devices/:deviceId/history", postEnvelope);
  router.get("/api/history", getStatus);
  router.get("/api/history/archive", getArchive);
  router.delete("/api/history", finish);
}
