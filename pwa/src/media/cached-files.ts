import { db } from "../data/db.ts";
import { log } from "../data/log.ts";
import { deleteCachedFile, deleteMediaCache } from "./cache.ts";

/**
 * Use of the media cache. The sizes of the decrypted files are recorded
 * in the `mediaFiles` table, so the app can show and clear what media
 * uses.
 */

/**
 * Deletes the cached files whose message is gone: deleted for everyone,
 * deleted for me, or no longer stored.
 * NOTE: it runs when the app first shows media and when the storage use
 * is read, so a deleted file stays cached until then.
 */
export async function pruneDeletedMedia(): Promise<void> {
  const files = await db.mediaFiles.toArray();
  for (const file of files) {
    const message = await db.messages.where("media.id").equals(file.id).first();
    if (message !== undefined && !message.deleted && !message.hidden) continue;
    await deleteCachedFile(file.id);
    await db.mediaFiles.delete(file.id);
    log("media_pruned", { mediaId: file.id, chatId: file.chatId });
  }
}

/** Returns the id of the stored message that carries `mediaId`, or null. */
export async function messageIdOf(mediaId: string): Promise<string | null> {
  const message = await db.messages.where("media.id").equals(mediaId).first();
  return message?.id ?? null;
}

let pruned: Promise<void> | null = null;

/** Prunes deleted media once per page load; never rejects. */
export function pruneDeletedMediaOnce(): Promise<void> {
  pruned ??= pruneDeletedMedia().catch((error: unknown) => {
    log("media_prune_failed", { error: String(error) });
  });
  return pruned;
}

/** Cached media on this device: decrypted bytes and files. */
export async function mediaStorageUse(): Promise<{
  bytes: number;
  files: number;
}> {
  await pruneDeletedMedia();
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
