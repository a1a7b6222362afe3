import type { CallView } from "../../calls/state.ts";
import { hangUp } from "../../calls/controller.ts";
import {
  chooseSpeaker,
  switchCamera,
  toggleCamera,
  toggleMute,
} from "../../calls/controls.ts";

function cameraLabel(view: CallView): string {
  if (view.cameraOn) return "Turn camera off";
  return view.info.video ? "Turn camera on" : "Turn on video";
}

/** Renders the buttons of an accepted call. */
export function CallControls({ view }: { view: CallView }) {
  return (
    <div class="call__controls" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        class="call__round"
        aria-pressed={view.muted}
        onClick={() => void toggleMute()}
      >
        {view.muted ? "Unmute" : "Mute"}
      </button>
      <button
        type="button"
        class="call__round"
        onClick={() => void toggleCamera()}
      >
        {cameraLabel(view)}
      </button>
      {view.cameraOn && view.cameraCount > 1 && (
        <button
          type="button"
          class="call__round"
          onClick={() => void switchCamera()}
        >
          Switch camera
        </button>
      )}
      {view.speakers.length > 1 && <SpeakerChoice view={view} />}
      <button
        type="button"
        class="call__round call__round--end"
        onClick={() => hangUp()}
      >
        End call
      </button>
    </div>
  );
}

function SpeakerChoice({ view }: { view: CallView }) {
  // "" plays on the system default, which the list shows first.
  const chosen =
    view.speakers.find((speaker) => speaker.deviceId === view.speakerId) ??
    view.speakers[0];
  return (
    <label class="call__speaker">
      Speaker
      <select
        value={chosen?.deviceId}
        onChange={(event) => chooseSpeaker(event.currentTarget.value)}
      >
        {view.speakers.map((speaker, index) => (
          <option key={speaker.deviceId} value={speaker.deviceId}>
            {speaker.label || `Speaker ${index + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
