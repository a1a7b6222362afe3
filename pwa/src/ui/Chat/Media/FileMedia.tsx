import { useRef } from "preact/hooks";
import { saveMedia } from "../../../media/index.ts";
import { Icon } from "../icons.tsx";
import { run } from "../../common/notice.tsx";
import { formatBytes, formatDuration } from "../../format-media.ts";
import {
  PlaybackFailureNotice,
  usePlaybackFailure,
} from "./PlaybackFailure.tsx";
import { DownloadButton, ProgressRing, TransferFailure } from "./Progress.tsx";
import type { MediaView } from "./useMedia.ts";

/** Returns the upper-case extension of a file name, or "" without one. */
function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toUpperCase() : "";
}

/**
 * A document: icon, name, size and type. Before it is on this device a
 * download button shows, then the progress in bytes and percent, then
 * Open and Save.
 */
export function FileMedia({ view }: { view: MediaView }) {
  const { item } = view;
  const name = item.name === "" ? "File" : item.name;
  const extension = extensionOf(item.name);
  return (
    <div class="file-media">
      <div class="file-media__row">
        <span class="file-media__icon" aria-hidden="true">
          <Icon name={item.kind === "audio" ? "audio" : "file"} />
        </span>
        <span class="file-media__details">
          <span class="file-media__name" dir="auto" title={name}>
            {name}
          </span>
          <span class="file-media__meta">
            {formatBytes(item.size)}
            {extension !== "" && ` · ${extension}`}
            {item.duration !== undefined &&
              ` · ${formatDuration(item.duration)}`}
          </span>
        </span>
        <DownloadButton view={view} label={`Download ${name}`} />
      </div>
      <ProgressRing view={view} />
      <TransferFailure view={view} />
      {item.kind === "audio" && <AudioPlayer view={view} />}
      {view.url !== null && <FileActions view={view} name={name} />}
    </div>
  );
}

/** Plays an audio file, and shows the reason when it cannot play. */
function AudioPlayer({ view }: { view: MediaView }) {
  const audio = useRef<HTMLAudioElement>(null);
  const playback = usePlaybackFailure(view.item.id, view.url);
  return (
    <>
      {view.url !== null && (
        <audio
          ref={audio}
          class="file-media__player"
          controls
          src={view.url}
          onError={playback.onError}
        />
      )}
      <PlaybackFailureNotice
        failure={playback.failure}
        onRetry={() => playback.retry(audio.current)}
      />
    </>
  );
}

function FileActions({ view, name }: { view: MediaView; name: string }) {
  return (
    <div class="file-media__actions">
      <a
        class="link-button"
        href={view.url ?? undefined}
        target="_blank"
        rel="noopener noreferrer"
        aria-label={`Open ${name}`}
      >
        Open
      </a>
      {!view.uploading && (
        <button
          type="button"
          class="link-button"
          aria-label={`Save ${name}`}
          onClick={() => run(() => saveMedia(view.chatId, view.item))}
        >
          Save
        </button>
      )}
    </div>
  );
}
