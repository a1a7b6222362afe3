import { useEffect, useRef, useState } from "preact/hooks";
import {
  describePlaybackFailure,
  type PlaybackFailure,
} from "../../../media/index.ts";
import { Icon } from "../icons.tsx";

/**
 * Tracks the failure of a <video> or <audio> player. Pass `onError` to
 * the element, show `failure`, and call `retry` with the element to load
 * its source again. The failure clears when the source changes.
 */
export function usePlaybackFailure(mediaId: string, src: string | null) {
  const [failure, setFailure] = useState<PlaybackFailure | null>(null);
  // Counts errors and retries, so that a late result for an older error
  // does not replace the state of a newer attempt.
  const attempt = useRef(0);
  useEffect(() => {
    attempt.current += 1;
    setFailure(null);
  }, [src]);

  const onError = (event: Event) => {
    const element = event.currentTarget as HTMLMediaElement;
    const current = ++attempt.current;
    const source = element.currentSrc === "" ? src : element.currentSrc;
    if (source === null) return;
    // describePlaybackFailure never rejects.
    void describePlaybackFailure(mediaId, source, element.error).then(
      (described) => {
        if (current === attempt.current) setFailure(described);
      },
    );
  };
  const retry = (element: HTMLMediaElement | null) => {
    attempt.current += 1;
    setFailure(null);
    element?.load();
  };
  return { failure, onError, retry };
}

/** Shows why a player failed, with Retry when playing again may work. */
export function PlaybackFailureNotice(props: {
  failure: PlaybackFailure | null;
  onRetry: () => void;
}) {
  const { failure } = props;
  if (failure === null) return null;
  return (
    <div class="media-failure" role="alert">
      <span>{failure.text}</span>
      {failure.retry && (
        <button
          type="button"
          class="link-button"
          aria-label="Retry playback"
          onClick={props.onRetry}
        >
          <Icon name="retry" /> Retry
        </button>
      )}
    </div>
  );
}
