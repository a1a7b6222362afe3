import { MEDIA_CACHE, mediaPath } from "../../../protocol/index.ts";

/** Matches `/media/<mediaId>`, the path the service worker serves. */
export const MEDIA_PATH = /^\/media\/([A-Za-z0-9_-]{22})$/;

/** Deletes every cached decrypted file, at logout. */
export async function deleteMediaCache(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(MEDIA_CACHE);
}

/** Deletes the cached decrypted file `mediaId`, if any. */
export async function deleteCachedFile(mediaId: string): Promise<void> {
  if (typeof caches === "undefined") return;
  const cache = await caches.open(MEDIA_CACHE);
  await cache.delete(mediaPath(mediaId));
}
