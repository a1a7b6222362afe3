import { useEffect, useRef, useState } from "preact/hooks";
import type { MessageRow } from "../../../data/index.ts";
import { saveMedia, type MediaItem } from "../../../media/index.ts";
import { Icon } from "../icons.tsx";
import { errorMessage } from "../../common/notice.tsx";
import { formatTime } from "../../format.ts";
import { useChatState, type ChatState } from "../chatState.ts";
import {
  PlaybackFailureNotice,
  usePlaybackFailure,
} from "../Media/PlaybackFailure.tsx";
import { ProgressRing, TransferFailure } from "../Media/Progress.tsx";
import {
  isActive,
  startDownload,
  useMediaView,
  type MediaView,
} from "../Media/useMedia.ts";
import "./Viewer.css";

/**
 * The full-screen viewer of the chat's photos and videos. Previous and
 * Next (or the arrow keys and swipes) step through them, loading older
 * pages of the list when needed. Escape closes it, and Save stores the
 * file under its name. A video plays from mediaUrl, which streams it with
 * Range requests when the service worker serves it.
 */
export function Viewer({ chatId }: { chatId: string }) {
  const state = useChatState();
  const dialog = useRef<HTMLDialogElement>(null);
  const gallery = state.gallery.value;
  const index = gallery.findIndex((row) => row.id === state.viewing.value);
  const message = gallery[index];
  // The modal viewer covers the app's notices, so it shows its own errors.
  const [error, setError] = useState("");
  const close = () => (state.viewing.value = null);
  const older = useOlderPages(state, gallery);
  const history = state.history.value;
  const atOldest = index <= 0 && !history.hasOlder;
  const step = (offset: number) => {
    const next = gallery[index + offset];
    setError("");
    if (next !== undefined) state.viewing.value = next.id;
    else if (offset < 0 && message !== undefined) older.seekBefore(message.id);
  };

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const previous = document.activeElement as HTMLElement | null;
    element.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      close();
    };
    element.addEventListener("cancel", onCancel);
    return () => {
      element.removeEventListener("cancel", onCancel);
      element.close();
      previous?.focus();
    };
  }, []);

  // The message left the list (deleted, or its upload cancelled).
  useEffect(() => {
    if (message === undefined) close();
  }, [message === undefined]);
  const item = message?.media;
  if (message === undefined || item == null)
    return <dialog ref={dialog} class="viewer" />;

  const onKeyDown = (event: KeyboardEvent) => {
    // A focused video seeks with the arrow keys itself.
    if (event.target instanceof HTMLMediaElement) return;
    if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "ArrowRight") step(1);
  };
  return (
    <dialog
      ref={dialog}
      class="viewer"
      aria-label={item.kind === "video" ? "Video viewer" : "Photo viewer"}
      onKeyDown={onKeyDown}
    >
      <header class="viewer__bar">
        <button
          type="button"
          class="icon-button"
          aria-label="Close"
          onClick={close}
        >
          <Icon name="close" />
        </button>
        <span class="viewer__title">
          {older.seeking
            ? "Loading older photos…"
            : `${index + 1} of ${gallery.length} · ${formatTime(message.ts)}`}
        </span>
        <button
          type="button"
          class="icon-button"
          aria-label="Save"
          title="Save"
          disabled={message.seq === null}
          onClick={() => {
            setError("");
            saveMedia(chatId, item).catch((failure: unknown) =>
              setError(errorMessage(failure)),
            );
          }}
        >
          <Icon name="download" />
        </button>
      </header>
      <Slide
        key={message.id}
        chatId={chatId}
        message={message}
        item={item}
        onSwipe={step}
      />
      <button
        type="button"
        class="icon-button viewer__step viewer__step--previous"
        aria-label="Previous"
        disabled={atOldest}
        onClick={() => step(-1)}
      >
        <Icon name="previous" />
      </button>
      <button
        type="button"
        class="icon-button viewer__step viewer__step--next"
        aria-label="Next"
        disabled={index >= gallery.length - 1}
        onClick={() => step(1)}
      >
        <Icon name="next" />
      </button>
      {error !== "" && (
        <p class="viewer__error" role="alert">
          {error}
        </p>
      )}
      {message.text !== "" && (
        <p class="viewer__caption" dir="auto">
          {message.text}
        </p>
      )}
    </dialog>
  );
}

/**
 * Loads older pages of the list until a photo or video before `id` is
 * loaded, then shows it. The list loads a page of messages at a time, so
 * a page without photos leads to the next one.
 */
function useOlderPages(state: ChatState, gallery: MessageRow[]) {
  const [seeking, setSeeking] = useState<string | null>(null);
  const history = state.history.value;
  useEffect(() => {
    if (seeking === null) return;
    const at = gallery.findIndex((row) => row.id === seeking);
    const before = gallery[at - 1];
    if (at > 0 && before !== undefined) {
      setSeeking(null);
      state.viewing.value = before.id;
    } else if (!history.hasOlder) {
      setSeeking(null);
    } else if (!history.loading) {
      state.loadOlder.current();
    }
  }, [seeking, gallery, history]);
  return { seeking: seeking !== null, seekBefore: setSeeking };
}

/** Horizontal distance, in CSS pixels, from which a drag steps the viewer. */
const SWIPE_PX = 60;

function Slide(props: {
  chatId: string;
  message: MessageRow;
  item: MediaItem;
  /** Steps by -1 (previous) or 1 (next) after a horizontal swipe. */
  onSwipe: (offset: number) => void;
}) {
  const view = useMediaView(props.chatId, props.message, props.item);
  const swipeStart = useRef<number | null>(null);
  const video = useRef<HTMLVideoElement>(null);
  useDownloadOnOpen(view);
  const { item, url } = view;
  const playback = usePlaybackFailure(item.id, url);
  const onPointerUp = (event: PointerEvent) => {
    const start = swipeStart.current;
    swipeStart.current = null;
    if (start === null) return;
    const distance = event.clientX - start;
    // A swipe to the right shows the previous photo, as in a gallery.
    if (distance > SWIPE_PX) props.onSwipe(-1);
    else if (distance < -SWIPE_PX) props.onSwipe(1);
  };
  return (
    <div
      class="viewer__stage"
      onPointerDown={(event) => {
        // A video's own controls take drags for seeking.
        const onVideo = event.target instanceof HTMLVideoElement;
        swipeStart.current = onVideo ? null : event.clientX;
      }}
      onPointerUp={onPointerUp}
      onPointerCancel={() => (swipeStart.current = null)}
    >
      {url === null && item.preview !== undefined && (
        <img
          class="viewer__preview"
          src={item.preview}
          alt=""
          draggable={false}
        />
      )}
      {url !== null && item.kind === "video" && (
        <video
          ref={video}
          class="viewer__media"
          src={url}
          onError={playback.onError}
          controls
          autoPlay
          playsInline
          aria-label="Video"
        />
      )}
      {url !== null && item.kind !== "video" && (
        // A native image drag would cancel the pointer events of a swipe.
        <img class="viewer__media" src={url} alt="Photo" draggable={false} />
      )}
      <div class="viewer__progress">
        <ProgressRing view={view} />
        <TransferFailure view={view} />
        <PlaybackFailureNotice
          failure={playback.failure}
          onRetry={() => playback.retry(video.current)}
        />
      </div>
    </div>
  );
}

/** Downloads the shown file when it is not on this device yet. */
function useDownloadOnOpen(view: MediaView) {
  const needed =
    view.url === null &&
    !view.uploading &&
    !isActive(view.transfer) &&
    view.transfer?.state !== "failed";
  useEffect(() => {
    if (needed) startDownload(view);
  }, [needed]);
}
