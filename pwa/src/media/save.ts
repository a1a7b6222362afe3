import { readCachedFile } from "./file-cache.ts";
import { downloadMedia, uncachedFile } from "./download.ts";
import type { MediaItem } from "./types.ts";

/** Fallback names of files saved without one, by kind. */
const DEFAULT_NAMES: Record<MediaItem["kind"], string> = {
  image: "photo",
  video: "video",
  voice: "voice-message",
  audio: "audio",
  file: "file",
};

/**
 * Saves a file to disk under its original name, downloading it first
 * when it is not cached. Rejects with an Error for the person when the
 * download fails.
 */
export async function saveMedia(chatId: string, item: MediaItem) {
  await downloadMedia(chatId, item);
  const file = uncachedFile(item.id) ?? (await readCachedFile(item.id));
  if (file === null) {
    throw new Error("The file could not be kept on this device. Try again.");
  }
  const link = document.createElement("a");
  const url = URL.createObjectURL(file);
  link.href = url;
  link.download = item.name === "" ? DEFAULT_NAMES[item.kind] : item.name;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the URL when the click is handled, a task later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
