import type { MessageRow } from "../../../data/index.ts";
import type { MediaItem } from "../../../media/index.ts";
import { FileMedia } from "./FileMedia.tsx";
import { useMediaView } from "./useMedia.ts";
import { ImageMedia, VideoMedia } from "./Visual.tsx";
import { VoiceNote } from "./VoiceNote.tsx";
import "./Media.css";

/** The file of a message, drawn by its kind; the caption follows it. */
export function MediaContent(props: {
  chatId: string;
  message: MessageRow;
  item: MediaItem;
}) {
  const view = useMediaView(props.chatId, props.message, props.item);
  switch (props.item.kind) {
    case "image":
      return <ImageMedia view={view} />;
    case "video":
      return <VideoMedia view={view} />;
    case "voice":
      return <VoiceNote view={view} />;
    case "audio":
    case "file":
      return <FileMedia view={view} />;
  }
}
