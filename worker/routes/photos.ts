import { v7 as uuidv7 } from "uuid";
import {
  ApiError,
  MAX_PROFILE_PHOTO_BYTES,
  PROFILE_PHOTO_EDGE,
  photoId as photoIdSchema,
  userId as userIdSchema,
} from "../../protocol/index.ts";
import { rateLimiter, userHub, type Env } from "../env.ts";
import { jsonResponse, readBytesCapped } from "../http.ts";
import { errorMessage, log } from "../log.ts";
import {
  detectPhotoType,
  isPhotoType,
  PHOTO_TYPES,
  readPixelSize,
  type PhotoType,
} from "../photo-format.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { originAllowed } from "./socket.ts";

/**
 * Profile photos. The bytes are stored in R2 under
 * `photos/<userId>/<photoId>`, and the owner's UserHub stores which photo
 * id is current. A photo id is never reused, so a served photo may be
 * cached for good.
 */

/**
 * Uploads one person may make per hour. People change their photo a few
 * times at most, so the limit only bounds the storage writes of a
 * misbehaving client.
 */
const PHOTO_UPLOADS_PER_HOUR = 30;
const HOUR_MS = 60 * 60 * 1000;

/**
 * Age after which an object under a person's prefix that is not their
 * current photo counts as left over (from two uploads at once, or a delete
 * that failed). Younger objects may belong to an upload still running.
 */
const LEFTOVER_AGE_MS = 10 * 60 * 1000;

const SERVED_CACHE_CONTROL = "private, max-age=31536000, immutable";

export function photoKey(userId: string, photoId: string): string {
  return `photos/${userId}/${photoId}`;
}

/** Raises bad_origin unless the request comes from the app's origin. */
export function requireAppOrigin(request: Request, env: Env): void {
  // SameSite=Strict already keeps the session cookie off cross-site
  // requests. The Origin check is a second guard, as on the WebSocket.
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "Requests from this site are not allowed; use the app's own origin.",
    );
  }
}

/** Reads the media type of the body, without parameters, or raises 400. */
function declaredType(request: Request): PhotoType {
  const header = request.headers.get("Content-Type");
  const type = header?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!isPhotoType(type)) {
    const got = header === null ? "it is missing" : `got "${type}"`;
    throw new ApiError(
      "invalid_request",
      `Content-Type must be ${PHOTO_TYPES.join(" or ")}; ${got}.`,
      "Content-Type",
    );
  }
  return type;
}

function emptyPhoto(): ApiError {
  return new ApiError("invalid_request", "The photo is empty.", "body");
}

/** Reads the body, checking its length against MAX_PROFILE_PHOTO_BYTES. */
async function readPhotoBytes(request: Request): Promise<Uint8Array> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null && Number(declared) === 0) throw emptyPhoto();
  const tooLarge = new ApiError(
    "too_large",
    `The photo is over ${MAX_PROFILE_PHOTO_BYTES} bytes; scale it down ` +
      "or choose another photo.",
    "body",
  );
  const bytes = await readBytesCapped(
    request,
    MAX_PROFILE_PHOTO_BYTES,
    tooLarge,
  );
  if (bytes.byteLength === 0) throw emptyPhoto();
  return bytes;
}

/** Checks that the bytes are a square image of `type` within the edge. */
function checkImage(bytes: Uint8Array, type: PhotoType): void {
  const actual = detectPhotoType(bytes);
  if (actual === null) {
    throw new ApiError(
      "invalid_request",
      `The body is not a JPEG or WebP image, although Content-Type says ${type}.`,
      "body",
    );
  }
  if (actual !== type) {
    throw new ApiError(
      "invalid_request",
      `The body is ${actual} but Content-Type says ${type}.`,
      "body",
    );
  }
  const size = readPixelSize(bytes, type);
  if (size === null) {
    throw new ApiError(
      "invalid_request",
      `The ${type} header is damaged: its width and height cannot be read.`,
      "body",
    );
  }
  const { width, height } = size;
  const fits = width >= 1 && width <= PROFILE_PHOTO_EDGE;
  if (width !== height || !fits) {
    throw new ApiError(
      "invalid_request",
      `The photo is ${width}×${height} pixels; it must be square and at ` +
        `most ${PROFILE_PHOTO_EDGE} pixels on each side.`,
      "body",
    );
  }
}

async function limitUploads(env: Env, userId: string): Promise<void> {
  const limiter = rateLimiter(env, `photo-upload:${userId}`);
  const decision = await limiter.hit(PHOTO_UPLOADS_PER_HOUR, HOUR_MS);
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      `Too many photo uploads. Try again in ` +
        `${Math.ceil(decision.retryAfter / 60)} minutes.`,
      undefined,
      decision.retryAfter,
    );
  }
}

/**
 * Deletes `previous` and any left-over object under the person's prefix
 * except `current`. A failure is logged and left for the next sweep,
 * because the photo change itself is already stored.
 */
async function deleteOldPhotos(
  env: Env,
  userId: string,
  previous: string | null,
  current: string | null,
): Promise<void> {
  try {
    const keep = current === null ? null : photoKey(userId, current);
    const stale = new Set<string>();
    if (previous !== null && previous !== current) {
      stale.add(photoKey(userId, previous));
    }
    const listed = await env.MEDIA.list({ prefix: `photos/${userId}/` });
    const cutoff = Date.now() - LEFTOVER_AGE_MS;
    for (const object of listed.objects) {
      if (object.key !== keep && object.uploaded.getTime() < cutoff) {
        stale.add(object.key);
      }
    }
    if (stale.size > 0) await env.MEDIA.delete([...stale]);
  } catch (error) {
    log("photo.delete_failed", { userId, error: errorMessage(error) });
  }
}

/** PUT /api/me/photo: stores a new photo and makes it the current one. */
async function putPhoto(request: Request, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me } = await requireSession(request, env);
  const type = declaredType(request);
  await limitUploads(env, me.id);
  const bytes = await readPhotoBytes(request);
  checkImage(bytes, type);

  const photoId = uuidv7();
  const key = photoKey(me.id, photoId);
  await env.MEDIA.put(key, bytes, { httpMetadata: { contentType: type } });
  const updated = await userHub(env, me.id)
    .setPhoto(photoId)
    .catch(async (error: unknown) => {
      // Nothing names the new object yet, so it would never be served.
      await env.MEDIA.delete(key);
      throw error;
    });
  log("photo.stored", { userId: me.id, photoId, bytes: bytes.byteLength });
  await deleteOldPhotos(env, me.id, me.photoId, updated.photoId);
  return jsonResponse({ photoId });
}

/** DELETE /api/me/photo: removes the current photo, if any. */
async function deletePhoto(request: Request, env: Env): Promise<Response> {
  requireAppOrigin(request, env);
  const { me } = await requireSession(request, env);
  const updated = await userHub(env, me.id).setPhoto(null);
  log("photo.removed", { userId: me.id, photoId: me.photoId });
  await deleteOldPhotos(env, me.id, me.photoId, updated.photoId);
  return new Response(null, { status: 204 });
}

function photoNotFound(): ApiError {
  return new ApiError("not_found", "No such photo.");
}

/**
 * Returns whether `viewerId` may see the photo `photoId` of `ownerId`: it
 * must be the owner's current photo, and the owner's photo visibility must
 * allow the viewer. Owners always see their own.
 */
async function photoVisible(
  env: Env,
  viewer: { id: string; photoId: string | null },
  ownerId: string,
  photoId: string,
): Promise<boolean> {
  if (viewer.id === ownerId) return viewer.photoId === photoId;
  const profile = await userHub(env, ownerId).getProfile(viewer.id);
  return profile?.photoId === photoId;
}

/**
 * Serves GET /api/users/:userId/photos/:photoId. Replies 404 alike for a
 * photo that does not exist, is no longer current, or is hidden from the
 * viewer, so the reply reveals nothing about the owner's settings.
 */
async function getPhoto(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const ownerId = userIdSchema.safeParse(request.params.userId);
  const photoId = photoIdSchema.safeParse(request.params.photoId);
  if (!ownerId.success || !photoId.success) throw photoNotFound();
  const visible = await photoVisible(env, me, ownerId.data, photoId.data);
  if (!visible) throw photoNotFound();

  // With the request's If-None-Match, R2 returns the object without a body
  // when the client already has this version.
  const key = photoKey(ownerId.data, photoId.data);
  const object = await env.MEDIA.get(key, { onlyIf: request.headers });
  if (object === null) {
    log("photo.object_missing", {
      userId: ownerId.data,
      photoId: photoId.data,
    });
    throw photoNotFound();
  }
  const headers = new Headers({
    "Cache-Control": SERVED_CACHE_CONTROL,
    ETag: object.httpEtag,
    "X-Content-Type-Options": "nosniff",
  });
  if (!("body" in object)) return new Response(null, { status: 304, headers });
  headers.set(
    "Content-Type",
    object.httpMetadata?.contentType ?? "application/octet-stream",
  );
  headers.set("Content-Length", String(object.size));
  return new Response(object.body, { headers });
}

export function registerPhotoRoutes(router: ApiRouter): void {
  router.put("/api/me/photo", putPhoto);
  router.delete("/api/me/photo", deletePhoto);
  router.get("/api/users/:userId/photos/:photoId", getPhoto);
}
