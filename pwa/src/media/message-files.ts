import { db } from "../data/db.ts";
import { log } from "../data/log.ts";
import { deleteCachedFile } from "./cache.ts";

// Imported by the first screen's data layer and by the service worker, so
// it imports only modules that both load anyway.

/**
 * Deletes the decrypted copies and the `mediaFiles` rows of the files of a
 * message deleted for everyone: `mediaIds` and any row that names the
 * message. Without its row the service worker no longer serves or streams
 * `/media/<mediaId>`. Call it outside a Dexie transaction, because Cache
 * Storage calls would end one. A crash before it runs leaves rows whose
 * message lists no file, which `pruneDeletedMedia` deletes later.
 * NOTE: a download of the file still running caches it again when it
 * ends, and that copy too stays until `pruneDeletedMedia` runs.
 */
export async function deleteMessageFiles(
  messageId: string,
  mediaIds: readonly string[],
): Promise<void> {
  const rows = await db.mediaFiles.where("messageId").equals(messageId).keys();
  const ids = new Set([...mediaIds, ...rows.map(String)]);
  for (const id of ids) {
    await deleteCachedFile(id);
    await db.mediaFiles.delete(id);
    log("media_deleted_for_everyone", { mediaId: id, messageId });
  }
}
