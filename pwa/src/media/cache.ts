import { MEDIA_CACHE } from "../../../protocol/index.ts";

/** Matches `/media/<mediaId>`, the path the service worker serves. */
export const MEDIA_PATH = /^\/media\/([A-Za-z0-9_-]{22})$/;

/** Deletes every cached decrypted file, at logout. */
export async function deleteMediaCache(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(MEDIA_CACHE);
}
