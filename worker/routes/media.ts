import {
  ApiError,
  CreateUploadBody,
  MEDIA_BYTES_PER_DAY,
  MEDIA_UPLOADS_PER_HOUR,
  mediaId as mediaIdSchema,
} from "../../protocol/index.ts";
import { mediaKey } from "../../durable-objects/chat-room/media-store.ts";
import type { PartTarget } from "../../durable-objects/chat-room/media.ts";
import { base64url, randomBytes } from "../crypto.ts";
import { chatRoom, rateLimiter, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { errorMessage, log } from "../log.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";
import { requireAppOrigin } from "./photos.ts";

/**
 * Chat media uploads (protocol/media.ts). The Worker moves the bytes
 * between the client and R2, and the chat's ChatRoom stores each upload,
 * its parts and who may use it. Objects live in R2 under
 * `media/<chatId>/<mediaId>`.
 */

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** Validates and returns the `:mediaId` path parameter. */
export function mediaParam(request: ApiRequest): string {
  const parsed = mediaIdSchema.safeParse(request.params.mediaId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `mediaId: ${parsed.error.issues[0]?.message}`,
      "mediaId",
    );
  }
  return parsed.data;
}

function partParam(request: ApiRequest): number {
  const raw = String(request.params.part);
  if (!/^[1-9]\d{0,5}$/.test(raw)) {
    throw new ApiError(
      "invalid_request",
      `part: must be a part number from 1 upward; got "${raw}".`,
      "part",
    );
  }
  return Number(raw);
}

function waitText(seconds: number): string {
  if (seconds < 60 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

/** Charges one upload of `size` bytes to the person's hourly and daily limits. */
async function limitUploads(
  env: Env,
  userId: string,
  size: number,
): Promise<void> {
  const uploads = await rateLimiter(env, `media-upload:${userId}`).hit(
    MEDIA_UPLOADS_PER_HOUR,
    HOUR_MS,
  );
  if (!uploads.allowed) {
    throw new ApiError(
      "rate_limited",
      `You started ${MEDIA_UPLOADS_PER_HOUR} uploads within an hour. Try again ` +
        `in ${waitText(uploads.retryAfter)}.`,
      undefined,
      uploads.retryAfter,
    );
  }
  const bytes = await rateLimiter(env, `media-bytes:${userId}`).take(
    MEDIA_BYTES_PER_DAY,
    DAY_MS,
    size,
  );
  if (!bytes.allowed) {
    const gib = MEDIA_BYTES_PER_DAY / 1024 ** 3;
    throw new ApiError(
      "rate_limited",
      `This file would take your uploads over ${gib} GiB in 24 hours. Try ` +
        `again in ${waitText(bytes.retryAfter)}.`,
      undefined,
      bytes.retryAfter,
    );
  }
}

/** POST /api/chats/:chatId/media: starts an upload. */
async function createUpload(request: ApiRequest, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me, deviceId } = await requireSession(request, env);
  const chatId = chatParam(request);
  const { size } = await readBody(request, CreateUploadBody);
  const room = chatRoom(env, chatId);
  unwrap(await room.mediaMayUpload(me.id));
  await limitUploads(env, me.id, size);

  const mediaId = base64url(randomBytes(16));
  const upload = await env.MEDIA.createMultipartUpload(
    mediaKey(chatId, mediaId),
  );
  const uploader = { userId: me.id, deviceId };
  const created = await room
    .mediaCreate(uploader, mediaId, size, upload.uploadId)
    .catch(async (error: unknown) => {
      await upload.abort();
      throw error;
    });
  // The room rejected it (the person left the chat meanwhile), so nothing
  // would ever complete or delete the multipart upload.
  if (!created.ok) await upload.abort();
  return jsonResponse(unwrap(created), 201);
}

/** GET /api/chats/:chatId/media/:mediaId/upload: returns which parts arrived. */
async function uploadState(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const state = unwrap(await room.mediaUploadState(me.id, mediaParam(request)));
  return jsonResponse(state);
}

function wrongLength(part: number, expected: number, got: string): ApiError {
  return new ApiError(
    "invalid_request",
    `Part ${part} must be exactly ${expected} bytes; got ${got}. Send the ` +
      "part's bytes as the upload state's partBytes and size define them.",
    "body",
  );
}

/**
 * Streams the request body into R2 as part `part` and returns its ETag.
 * R2 reads the part through a FixedLengthStream of `target.bytes`, and the
 * loop below counts the bytes, so a body of any other length raises
 * invalid_request and R2 keeps nothing of it.
 */
async function storePart(
  env: Env,
  request: Request,
  part: number,
  target: PartTarget,
): Promise<string> {
  if (request.body === null) throw wrongLength(part, target.bytes, "0 bytes");
  const fixed = new FixedLengthStream(target.bytes);
  const writer = fixed.writable.getWriter();
  const upload = env.MEDIA.resumeMultipartUpload(target.key, target.uploadId);
  const stored = upload.uploadPart(part, fixed.readable);
  // The code below awaits it in every case. Until then, this handler keeps
  // an early rejection from counting as unhandled.
  stored.catch(() => undefined);

  const reader = request.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > target.bytes) {
      await reader.cancel();
      break;
    }
    await writer.write(value);
  }
  if (received !== target.bytes) {
    await writer.abort(new Error("part has the wrong length"));
    await stored.catch(() => undefined);
    const got =
      received > target.bytes
        ? `more than ${target.bytes} bytes`
        : `${received} bytes`;
    throw wrongLength(part, target.bytes, got);
  }
  await writer.close();
  return (await stored).etag;
}

/** PUT /api/chats/:chatId/media/:mediaId/parts/:part: stores one part. */
async function putPart(request: ApiRequest, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const mediaId = mediaParam(request);
  const part = partParam(request);
  const target = unwrap(await room.mediaPartTarget(me.id, mediaId, part));
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) !== target.bytes) {
    throw wrongLength(part, target.bytes, `Content-Length ${declared}`);
  }
  const etag = await storePart(env, request, part, target);
  unwrap(
    await room.mediaRecordPart(me.id, mediaId, {
      part,
      etag,
      size: target.bytes,
    }),
  );
  return new Response(null, { status: 204 });
}

/**
 * Returns whether an overlapping complete of the same upload finished it
 * first, which makes R2 reject this one because the upload id is gone. The
 * room may not have marked the upload complete yet, so an object in R2
 * counts too, and the caller then marks the upload complete itself.
 */
async function completedMeanwhile(
  env: Env,
  room: ReturnType<typeof chatRoom>,
  userId: string,
  mediaId: string,
  key: string,
): Promise<boolean> {
  const target = unwrap(await room.mediaCompleteTarget(userId, mediaId));
  if (target.complete) return true;
  return (await env.MEDIA.head(key)) !== null;
}

/** POST /api/chats/:chatId/media/:mediaId/complete: finishes an upload. */
async function complete(request: ApiRequest, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const mediaId = mediaParam(request);
  const target = unwrap(await room.mediaCompleteTarget(me.id, mediaId));
  // A repeated complete (a retry after a lost reply) returns the state.
  if (target.complete) return jsonResponse(target.state);

  const upload = env.MEDIA.resumeMultipartUpload(target.key, target.uploadId);
  try {
    await upload.complete(target.parts);
  } catch (error) {
    if (!(await completedMeanwhile(env, room, me.id, mediaId, target.key))) {
      log("media.complete_failed", {
        userId: me.id,
        mediaId,
        error: errorMessage(error),
      });
      throw error;
    }
    log("media.complete_overlapped", { userId: me.id, mediaId });
  }
  const marked = await room.mediaMarkComplete(me.id, mediaId);
  // The upload was cancelled or expired while R2 completed it, so no row
  // refers to the object any more.
  if (!marked.ok && marked.error.code === "not_found") {
    log("media.completed_orphan_deleted", { userId: me.id, mediaId });
    await env.MEDIA.delete(target.key);
  }
  return jsonResponse(unwrap(marked));
}

/** DELETE /api/chats/:chatId/media/:mediaId: cancels an unsent upload. */
async function cancel(request: ApiRequest, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  unwrap(await room.mediaCancel(me.id, mediaParam(request)));
  return new Response(null, { status: 204 });
}

export function registerMediaRoutes(router: ApiRouter): void {
  const file = "/api/chats/:chatId/media/:mediaId";
  router.post("/api/chats/:chatId/media", createUpload);
  router.get(`${file}/upload`, uploadState);
  router.put(`${file}/parts/:part`, putPart);
  router.post(`${file}/complete`, complete);
  router.delete(file, cancel);
}
