/**
 * Names of the media cache, shared by the page and the service worker.
 * Decrypted files are kept in Cache Storage, one Response per file under
 * its `/media/<mediaId>` path, with Content-Type and Content-Length.
 */

/** Cache Storage cache of decrypted files. */
export const MEDIA_CACHE = "media-v1";

/** Matches `/media/<mediaId>`, the path the service worker serves. */
export const MEDIA_PATH = /^\/media\/([A-Za-z0-9_-]{22})$/;

/** Returns the same-origin path of a file in the media cache. */
export function mediaPath(mediaId: string): string {
  return `/media/${mediaId}`;
}

/** Deletes every cached file, at logout. */
export async function deleteMediaCache(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(MEDIA_CACHE);
}
