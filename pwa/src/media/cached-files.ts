import { db } from "../data/db.ts";
import { log } from "../data/log.ts";
import { deleteMediaCache, MEDIA_CACHE, mediaPath } from "./cache.ts";

/**
 * Decrypted files in Cache Storage, with their sizes recorded in the
 * `mediaFiles` table so the app can show and clear what media uses.
 */

/**
 * Stores the decrypted file `mediaId`. Returns false when Cache Storage is
 * missing or full, in which case the file is simply not kept.
 */
export async function storeCachedFile(
  mediaId: string,
  file: Blob,
  mime: string,
): Promise<boolean> {
  if (typeof caches === "undefined") return false;
  try {
    const cache = await caches.open(MEDIA_CACHE);
    const headers = {
      "Content-Type": mime === "" ? "application/octet-stream" : mime,
      "Content-Length": String(file.size),
    };
    await cache.put(mediaPath(mediaId), new Response(file, { headers }));
    return true;
  } catch (error) {
    log("media_cache_put_failed", { mediaId, error: String(error) });
    return false;
  }
}

/** Returns the cached decrypted file, or null when it is not cached. */
export async function readCachedFile(mediaId: string): Promise<Blob | null> {
  if (typeof caches === "undefined") return null;
  const cache = await caches.open(MEDIA_CACHE);
  const response = await cache.match(mediaPath(mediaId));
  return response === undefined ? null : response.blob();
}

/** Cached media on this device: decrypted bytes and files. */
export async function mediaStorageUse(): Promise<{
  bytes: number;
  files: number;
}> {
  let bytes = 0;
  let files = 0;
  await db.mediaFiles.each((row) => {
    if (row.cachedBytes === null) return;
    bytes += row.cachedBytes;
    files++;
  });
  return { bytes, files };
}

/**
 * Deletes every cached file. Files of own uploads still running stay in
 * the uploads table, and received files download again when opened.
 */
export async function clearCachedFiles(): Promise<void> {
  await deleteMediaCache();
  await db.mediaFiles.toCollection().modify({ cachedBytes: null });
}
