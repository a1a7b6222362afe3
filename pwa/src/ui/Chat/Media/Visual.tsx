import { useState } from "preact/hooks";
import { Icon } from "../icons.tsx";
import { formatBytes, formatDuration } from "../../format-media.ts";
import { useChatState } from "../chatState.ts";
import { DownloadButton, ProgressRing, TransferFailure } from "./Progress.tsx";
import { useAutoDownload, type MediaView } from "./useMedia.ts";

/** Largest width of a photo or video in a bubble, in CSS pixels. */
const MAX_WIDTH = 280;
/** Largest height of a photo or video in a bubble, in CSS pixels. */
const MAX_HEIGHT = 320;
/** Smallest width, so that a narrow photo still shows its controls. */
const MIN_WIDTH = 140;

/**
 * Returns the box of a photo or video in the bubble, sized from the pixel
 * size that its message carries, so the list does not jump when it loads.
 */
function boxStyle(view: MediaView) {
  const width = view.item.width ?? 4;
  const height = view.item.height ?? 3;
  const ratio = width > 0 && height > 0 ? width / height : 4 / 3;
  const shown = Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, MAX_HEIGHT * ratio));
  return { width: `${Math.round(shown)}px`, aspectRatio: `${ratio}` };
}

/**
 * A photo: its blurred preview at the final size, then the full image once
 * it is on this device. A tap opens the viewer.
 */
export function ImageMedia({ view }: { view: MediaView }) {
  const state = useChatState();
  const [loaded, setLoaded] = useState(false);
  useAutoDownload(view);
  const { item, url } = view;
  return (
    <div class="visual" style={boxStyle(view)}>
      {item.preview !== undefined && !loaded && (
        <img class="visual__preview" src={item.preview} alt="Photo preview" />
      )}
      {url !== null && (
        <img
          class={loaded ? "visual__full" : "visual__full visual__full--loading"}
          src={url}
          alt="Photo"
          onLoad={() => setLoaded(true)}
        />
      )}
      <button
        type="button"
        class="visual__open"
        aria-label="Open photo"
        onClick={() => (state.viewing.value = view.message.id)}
      />
      <div class="visual__controls">
        <ProgressRing view={view} />
        <DownloadButton view={view} label={`Download photo`} />
        <TransferFailure view={view} />
      </div>
      {url === null && !view.uploading && (
        <span class="visual__badge">{formatBytes(item.size)}</span>
      )}
    </div>
  );
}

/**
 * A video: its poster preview with a play sign and the duration. A tap
 * opens the viewer, which plays it (streaming when the service worker
 * serves it).
 */
export function VideoMedia({ view }: { view: MediaView }) {
  const state = useChatState();
  const { item } = view;
  return (
    <div class="visual visual--video" style={boxStyle(view)}>
      {item.preview !== undefined && (
        <img class="visual__preview" src={item.preview} alt="Video preview" />
      )}
      <button
        type="button"
        class="visual__open"
        aria-label="Play video"
        onClick={() => (state.viewing.value = view.message.id)}
      >
        <span class="visual__play" aria-hidden="true">
          <Icon name="play" />
        </span>
      </button>
      <div class="visual__controls">
        <ProgressRing view={view} />
        <TransferFailure view={view} />
      </div>
      <span class="visual__badge">
        {item.duration === undefined ? "" : formatDuration(item.duration)}
        {" · "}
        {formatBytes(item.size)}
      </span>
    </div>
  );
}
