import { useEffect, useRef, useState } from "preact/hooks";
import { sendMedia } from "../../../media/index.ts";
import { VoiceRecorder } from "../../../media/recorder.ts";
import { Icon } from "../icons.tsx";
import { errorMessage } from "../../common/notice.tsx";
import { formatDuration } from "../../format-media.ts";
import "./Voice.css";

/**
 * Press time, in milliseconds, from which releasing the microphone button
 * sends the note. A shorter press is a click, which keeps recording until
 * the person presses Send or Discard.
 */
const HOLD_MS = 400;

export interface VoiceRecording {
  recorder: VoiceRecorder | null;
  error: string;
  /** Asks for the microphone and starts. Resolves to false on failure. */
  start: () => Promise<boolean>;
  send: () => Promise<void>;
  discard: () => void;
}

/**
 * State of the composer's voice note, which leaving the chat discards.
 * `takeReplyTo` returns the id of the message being replied to, if any,
 * and closes the reply banner.
 */
export function useVoiceRecording(
  chatId: string,
  takeReplyTo: () => string | undefined,
): VoiceRecording {
  const [recorder, setRecorder] = useState<VoiceRecorder | null>(null);
  const [error, setError] = useState("");
  const current = useRef<VoiceRecorder | null>(null);
  const starting = useRef(false);

  useEffect(() => () => current.current?.cancel(), [chatId]);

  const start = async () => {
    if (starting.current || current.current !== null) return false;
    starting.current = true;
    setError("");
    try {
      const started = await VoiceRecorder.start();
      current.current = started;
      setRecorder(started);
      return true;
    } catch (failure) {
      setError(errorMessage(failure));
      return false;
    } finally {
      starting.current = false;
    }
  };

  const send = async () => {
    const active = current.current;
    if (active === null) return;
    current.current = null;
    setRecorder(null);
    try {
      const note = await active.stop();
      await sendMedia(chatId, [note], takeReplyTo());
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  const discard = () => {
    current.current?.cancel();
    current.current = null;
    setRecorder(null);
  };

  return { recorder, error, start, send, discard };
}

/**
 * The microphone button. A click (or Enter) starts a recording that stays
 * on, while pressing and holding records until release, which sends it.
 */
export function MicButton({ voice }: { voice: VoiceRecording }) {
  const onPointerDown = (event: PointerEvent) => {
    if (event.button !== 0) return;
    const pressedAt = performance.now();
    const started = voice.start();
    const onRelease = (release: Event) => {
      window.removeEventListener("pointerup", onRelease);
      window.removeEventListener("pointercancel", onRelease);
      const longPress = performance.now() - pressedAt >= HOLD_MS;
      if (release.type === "pointerup" && longPress) {
        void started.then((ok) => (ok ? voice.send() : undefined));
      }
    };
    window.addEventListener("pointerup", onRelease);
    window.addEventListener("pointercancel", onRelease);
  };
  return (
    <button
      type="button"
      class="composer__send"
      aria-label="Record voice message"
      title="Record voice message"
      onPointerDown={onPointerDown}
      // A long press on a phone would open the context menu instead.
      onContextMenu={(event) => event.preventDefault()}
      onClick={(event) => {
        // Pointer presses start in onPointerDown, and detail 0 means a key.
        if (event.detail === 0) void voice.start();
      }}
    >
      <Icon name="mic" />
    </button>
  );
}

/** What replaces the message box while a voice note is recorded. */
export function RecordingBar(props: {
  recorder: VoiceRecorder;
  onSend: () => void;
  onDiscard: () => void;
}) {
  const elapsed = Math.floor(props.recorder.elapsed.value);
  const level = props.recorder.level.value;
  return (
    <div class="recording" role="group" aria-label="Recording voice message">
      <button
        type="button"
        class="icon-button"
        aria-label="Discard voice message"
        title="Discard"
        onClick={props.onDiscard}
      >
        <Icon name="delete" />
      </button>
      <span class="recording__dot" aria-hidden="true" />
      <span class="recording__time" role="timer" aria-label="Recorded time">
        {formatDuration(elapsed)}
      </span>
      <span
        class="recording__level"
        role="meter"
        aria-label="Microphone level"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(level * 100)}
      >
        <span
          class="recording__level-bar"
          style={{ transform: `scaleX(${level})` }}
        />
      </span>
      <button
        type="button"
        class="composer__send"
        aria-label="Send voice message"
        title="Send voice message"
        onClick={props.onSend}
      >
        <Icon name="send" />
      </button>
    </div>
  );
}
