import { clearCachedFiles } from "./cached-files.ts";
import { forgetUncachedFiles } from "./download.ts";

/**
 * The client's media API: sending files (encrypted on this device and
 * uploaded part by part, resumable), downloading, caching and playing
 * them. The UI imports only from this module.
 */
export type { MediaItem } from "./types.ts";
export type { OutgoingFile } from "./send.ts";
export type { Transfer } from "./transfers.ts";
export type { PlaybackFailure } from "./playback.ts";

export { cancelUpload, retryUpload, sendMedia } from "./send.ts";
export { transferOf } from "./transfers.ts";
export { cancelDownload, downloadMedia } from "./download.ts";
export { mediaUrl } from "./urls.ts";
export { describePlaybackFailure } from "./playback.ts";
export { saveMedia } from "./save.ts";
export { mediaStorageUse } from "./cached-files.ts";

/**
 * Deletes every cached file on this device. Received files download again
 * when opened; own files still uploading are kept until sent.
 */
export async function clearMediaCache(): Promise<void> {
  forgetUncachedFiles();
  await clearCachedFiles();
}
