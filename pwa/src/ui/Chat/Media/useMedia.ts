import { useEffect, useMemo, useRef } from "preact/hooks";
import { connection, type MessageRow } from "../../../data/index.ts";
import {
  cancelDownload,
  downloadMedia,
  mediaUrl,
  transferOf,
  type MediaItem,
  type Transfer,
} from "../../../media/index.ts";
import { isMe } from "../../common/names.tsx";

/**
 * Largest photo or voice note downloaded as soon as its message shows, in
 * bytes. Bigger files and other kinds wait for a tap.
 */
export const AUTO_DOWNLOAD_BYTES = 16 * 1024 * 1024;

/**
 * Files whose download the person cancelled while the page lives, so that
 * auto-download does not start them again at once.
 */
const cancelledDownloads = new Set<string>();

/** State of a message's file, as its bubble shows it. */
export interface MediaView {
  chatId: string;
  message: MessageRow;
  item: MediaItem;
  /** A URL for src, or null until the file is on this device. */
  url: string | null;
  transfer: Transfer | undefined;
  /** The sender's own message whose upload has not finished. */
  uploading: boolean;
}

/** Returns the state of a message's file, re-rendering as it changes. */
export function useMediaView(
  chatId: string,
  message: MessageRow,
  item: MediaItem,
): MediaView {
  const urlSignal = useMemo(() => mediaUrl(chatId, item), [chatId, item.id]);
  const transferSignal = useMemo(() => transferOf(item.id), [item.id]);
  const transfer = transferSignal.value;
  return {
    chatId,
    message,
    item,
    url: urlSignal.value,
    transfer,
    uploading: isMe(message.senderId) && message.status === "pending",
  };
}

/**
 * Starts the download of a photo or voice note up to AUTO_DOWNLOAD_BYTES
 * once it is shown. A failed download starts again when the app connects
 * to the server again, and otherwise waits for the person's Retry, so a
 * lasting failure does not repeat in a loop.
 */
export function useAutoDownload(view: MediaView) {
  const { item, url, transfer, uploading } = view;
  const automatic =
    (item.kind === "image" || item.kind === "voice") &&
    item.size <= AUTO_DOWNLOAD_BYTES &&
    url === null &&
    !uploading &&
    !cancelledDownloads.has(item.id);
  const needed = automatic && transfer === undefined;
  useEffect(() => {
    if (needed) startDownload(view);
  }, [needed]);

  const online = connection.value === "online";
  const failed = automatic && transfer?.state === "failed";
  const wasOnline = useRef(online);
  useEffect(() => {
    const reconnected = online && !wasOnline.current;
    wasOnline.current = online;
    if (reconnected && failed) startDownload(view);
  }, [online]);
}

/** Starts a download whose progress and failure show through transferOf. */
export function startDownload(view: MediaView) {
  cancelledDownloads.delete(view.item.id);
  downloadMedia(view.chatId, view.item).catch((error: unknown) => {
    console.warn(
      JSON.stringify({
        event: "media_download_failed",
        chatId: view.chatId,
        messageId: view.message.id,
        mediaId: view.item.id,
        error: String(error),
      }),
    );
  });
}

/** Cancels a running download and keeps auto-download from restarting it. */
export function stopDownload(mediaId: string) {
  cancelledDownloads.add(mediaId);
  cancelDownload(mediaId);
}

/** True while an upload or download of the file runs or waits. */
export function isActive(transfer: Transfer | undefined): boolean {
  return transfer?.state === "running" || transfer?.state === "waiting";
}
