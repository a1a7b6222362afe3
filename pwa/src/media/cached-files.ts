import { db } from "../data/db.ts";
import { deleteMediaCache } from "./cache.ts";

/**
 * Use of the media cache. The sizes of the decrypted files are recorded
 * in the `mediaFiles` table, so the app can show and clear what media
 * uses.
 */

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
