/**
 * Paths and the offline cache of profile photos, shared by the page and
 * the service worker.
 */

/**
 * The Cache Storage cache in which the service worker keeps the photos it
 * fetched, so they show offline. A URL names one immutable upload.
 */
export const PROFILE_PHOTO_CACHE = "profile-photos";

/** Matches the path of GET /api/users/:userId/photos/:photoId. */
export const PROFILE_PHOTO_PATH = /^\/api\/users\/[^/]+\/photos\/[^/]+$/;

export function photoUrl(userId: string, photoId: string): string {
  return `/api/users/${userId}/photos/${photoId}`;
}

/** Deletes every cached photo, at logout. */
export async function clearPhotoCache(): Promise<void> {
  if (typeof caches === "undefined") return;
  await caches.delete(PROFILE_PHOTO_CACHE);
}
