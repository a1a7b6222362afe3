import { signal, type ReadonlySignal, type Signal } from "@preact/signals";
import { liveQuery, type Subscription } from "dexie";
import { db, type MediaFileRow, type UploadRow } from "../data/db.ts";
import { log } from "../data/log.ts";
import { mediaPath } from "../../../protocol/index.ts";
import { messageIdOf, pruneDeletedMediaOnce } from "./cached-files.ts";
import { readCachedFile } from "./file-cache.ts";
import { uncachedFile } from "./download.ts";
import type { MediaItem } from "./types.ts";

/**
 * URLs that the page puts in <img>, <video> and <audio>. One signal per
 * media id, kept while something reads it: it follows the uploads and
 * media tables through a live query, and a blob: URL it made is revoked
 * once nothing reads it any more.
 */

/** Kinds that play while they download, through the service worker. */
const STREAMED: ReadonlySet<MediaItem["kind"]> = new Set([
  "video",
  "voice",
  "audio",
]);

interface FileState {
  upload: UploadRow | undefined;
  file: MediaFileRow | undefined;
}

const urls = new Map<string, Signal<string | null>>();

function controlled(): boolean {
  return (
    typeof navigator !== "undefined" &&
    navigator.serviceWorker?.controller != null
  );
}

/**
 * Returns where the file can be read now: a URL, a Blob to wrap in a
 * blob: URL, or null when nothing is playable yet.
 */
async function sourceOf(
  chatId: string,
  item: MediaItem,
  state: FileState,
): Promise<string | Blob | null> {
  if (state.upload !== undefined) return state.upload.file;
  const inMemory = state.file === undefined ? undefined : uncachedFile(item.id);
  if (inMemory !== undefined) return inMemory;
  if (state.file?.cachedBytes != null) {
    if (controlled()) return mediaPath(item.id);
    const cached = await readCachedFile(item.id);
    if (cached !== null) return cached;
  }
  if (!STREAMED.has(item.kind) || !controlled() || item.hash === "") {
    return null;
  }
  // The service worker decrypts ranges with the MediaItem it reads here.
  if (state.file === undefined) {
    await db.mediaFiles.put({
      id: item.id,
      chatId,
      messageId: await messageIdOf(item.id),
      item,
      cachedBytes: null,
    });
  }
  return mediaPath(item.id);
}

/**
 * Returns a URL the page can put in <img>/<video>/<audio> src, or null when
 * nothing is playable yet (then call downloadMedia). Re-evaluated as the
 * upload, download and cache state changes.
 */
export function mediaUrl(
  chatId: string,
  item: MediaItem,
): ReadonlySignal<string | null> {
  const existing = urls.get(item.id);
  if (existing !== undefined) return existing;
  void pruneDeletedMediaOnce();
  let subscription: Subscription | null = null;
  let objectUrl: string | null = null;
  let version = 0;
  const setSource = (source: string | Blob | null) => {
    if (objectUrl !== null) URL.revokeObjectURL(objectUrl);
    objectUrl = source instanceof Blob ? URL.createObjectURL(source) : null;
    url.value = source instanceof Blob ? objectUrl : source;
  };
  const url: Signal<string | null> = signal<string | null>(null, {
    watched() {
      const query = async (): Promise<FileState> => ({
        upload: await db.uploads.where("item.id").equals(item.id).first(),
        file: await db.mediaFiles.get(item.id),
      });
      subscription = liveQuery(query).subscribe({
        next: (state) => {
          const current = ++version;
          void sourceOf(chatId, item, state).then((source) => {
            if (current === version) setSource(source);
          });
        },
        error: (error: unknown) => {
          log("media_url_failed", { mediaId: item.id, error: String(error) });
        },
      });
    },
    unwatched() {
      subscription?.unsubscribe();
      subscription = null;
      version++;
      setSource(null);
      urls.delete(item.id);
    },
  });
  urls.set(item.id, url);
  return url;
}
