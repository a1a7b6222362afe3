import { MEDIA_ERROR_TEXT, type MessageRow } from "../../../data/index.ts";
import type { MediaItem } from "../../../media/index.ts";
import { formatDuration } from "../../format-media.ts";

/**
 * Returns a short name for a message's file, such as
 * "Voice message (0:07)".
 */
export function mediaLabel(item: MediaItem): string {
  switch (item.kind) {
    case "image":
      return "Photo";
    case "video":
      return "Video";
    case "voice":
      return item.duration === undefined
        ? "Voice message"
        : `Voice message (${formatDuration(item.duration)})`;
    case "audio":
      return item.name === "" ? "Audio" : item.name;
    case "file":
      return item.name === "" ? "File" : item.name;
  }
}

/**
 * Returns the text that stands for a message in a quote: its caption
 * after the name of its file, or its text.
 */
export function quoteText(message: MessageRow): string {
  // Rows stored before media existed have no `media` field at all.
  if (message.media == null) {
    return message.text === "" && message.mediaError === true
      ? MEDIA_ERROR_TEXT
      : message.text;
  }
  const label = mediaLabel(message.media);
  return message.text === "" ? label : `${label}: ${message.text}`;
}
