import { MEDIA_CACHE, mediaPath } from "../../../protocol/index.ts";

/**
 * Decrypted files in Cache Storage. This module imports nothing of the
 * data layer, so the uploader, loaded on demand, can use it without the
 * bundler splitting the first screen's chunks.
 */

/**
 * Stores the decrypted file `mediaId`. Raises when Cache Storage is full
 * or fails; returns false when the browser has none.
 */
export async function storeCachedFile(
  mediaId: string,
  file: Blob,
  mime: string,
): Promise<boolean> {
  if (typeof caches === "undefined") return false;
  const cache = await caches.open(MEDIA_CACHE);
  const headers = {
    "Content-Type": mime === "" ? "application/octet-stream" : mime,
    "Content-Length": String(file.size),
  };
  await cache.put(mediaPath(mediaId), new Response(file, { headers }));
  return true;
}

/** Returns the cached decrypted file, or null when it is not cached. */
export async function readCachedFile(mediaId: string): Promise<Blob | null> {
  if (typeof caches === "undefined") return null;
  const cache = await caches.open(MEDIA_CACHE);
  const response = await cache.match(mediaPath(mediaId));
  return response === undefined ? null : response.blob();
}
