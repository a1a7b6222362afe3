import { useMemo, useRef, useState } from "preact/hooks";
import { decodeWaveform } from "../../../media/recorder.ts";
import { Icon } from "../icons.tsx";
import { showNotice } from "../../common/notice.tsx";
import { formatDuration } from "../../format-media.ts";
import {
  PlaybackFailureNotice,
  usePlaybackFailure,
} from "./PlaybackFailure.tsx";
import { DownloadButton, ProgressRing, TransferFailure } from "./Progress.tsx";
import { useAutoDownload, type MediaView } from "./useMedia.ts";
import "../Voice/Voice.css";

/** Bars drawn for a voice note that carries no waveform. */
const FLAT_BARS = 32;
/** Seconds an arrow key moves the playback position. */
const SEEK_STEP = 5;
/** Playback rates that the speed button steps through. */
const RATES = [1, 1.5, 2];

/**
 * A voice note: play and pause, its waveform coloured as it plays (a click
 * or the arrow keys seek), and the time. The duration comes from the
 * message, because a WebM from MediaRecorder states none.
 */
export function VoiceNote({ view }: { view: MediaView }) {
  useAutoDownload(view);
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [rate, setRate] = useState(1);
  const playback = usePlaybackFailure(view.item.id, view.url);
  const levels = useMemo(
    () => decodeWaveform(view.item.waveform),
    [view.item.waveform],
  );
  const bars =
    levels.length > 0 ? levels : new Array<number>(FLAT_BARS).fill(0);
  const duration = view.item.duration ?? 0;
  const played = duration > 0 ? Math.min(1, position / duration) : 0;

  const toggle = () => {
    const element = audio.current;
    if (element === null) return;
    if (!element.paused) {
      element.pause();
      return;
    }
    element.play().catch((error: unknown) => {
      setPlaying(false);
      // An abort by a later pause() is no failure, and a failed source
      // shows its reason through onError.
      if (error instanceof DOMException && error.name === "AbortError") return;
      if (element.error !== null) return;
      showNotice("This voice message could not be played. Try saving it.");
      console.warn(
        JSON.stringify({
          event: "voice_play_failed",
          mediaId: view.item.id,
          error: String(error),
        }),
      );
    });
  };
  const nextRate = () => {
    const next = RATES[(RATES.indexOf(rate) + 1) % RATES.length] ?? 1;
    setRate(next);
    if (audio.current !== null) audio.current.playbackRate = next;
  };
  const seek = (seconds: number) => {
    const element = audio.current;
    if (element === null) return;
    element.currentTime = Math.max(0, Math.min(duration, seconds));
    setPosition(element.currentTime);
  };

  return (
    <div class="voice">
      <button
        type="button"
        class="icon-button voice__play"
        aria-label={playing ? "Pause voice message" : "Play voice message"}
        disabled={view.url === null}
        onClick={toggle}
      >
        <Icon name={playing ? "pause" : "play"} />
      </button>
      <div class="voice__body">
        <div
          class="voice__wave"
          role="slider"
          tabIndex={view.url === null ? -1 : 0}
          aria-label="Voice message position"
          aria-valuemin={0}
          aria-valuemax={Math.round(duration)}
          aria-valuenow={Math.round(position)}
          aria-valuetext={formatDuration(position)}
          onClick={(event) => {
            const box = event.currentTarget.getBoundingClientRect();
            seek(((event.clientX - box.left) / box.width) * duration);
          }}
          onKeyDown={(event) => {
            if (event.key === "ArrowRight") seek(position + SEEK_STEP);
            else if (event.key === "ArrowLeft") seek(position - SEEK_STEP);
          }}
        >
          {bars.map((level, index) => (
            <span
              key={index}
              class={
                index / bars.length < played
                  ? "voice__bar voice__bar--played"
                  : "voice__bar"
              }
              style={{ height: `${Math.max(10, Math.round(level * 100))}%` }}
            />
          ))}
        </div>
        <span class="voice__time">
          {formatDuration(playing || position > 0 ? position : duration)}
        </span>
      </div>
      {view.url !== null && (
        <button
          type="button"
          class="voice__rate"
          aria-label={`Playback speed ${rate}×`}
          title="Playback speed"
          onClick={nextRate}
        >
          {rate}×
        </button>
      )}
      <DownloadButton view={view} label="Download voice message" />
      <ProgressRing view={view} />
      <TransferFailure view={view} />
      {view.transfer?.state !== "failed" && (
        <PlaybackFailureNotice
          failure={playback.failure}
          onRetry={() => playback.retry(audio.current)}
        />
      )}
      {view.url !== null && (
        <audio
          ref={audio}
          src={view.url}
          preload="metadata"
          onError={playback.onError}
          onPlay={(event) => {
            event.currentTarget.playbackRate = rate;
            setPlaying(true);
          }}
          onPause={() => setPlaying(false)}
          onEnded={() => {
            setPlaying(false);
            setPosition(0);
          }}
          onTimeUpdate={(event) => setPosition(event.currentTarget.currentTime)}
        />
      )}
    </div>
  );
}
