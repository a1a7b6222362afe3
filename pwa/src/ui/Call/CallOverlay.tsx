import { useEffect, useState } from "preact/hooks";
import { currentCall, type CallView } from "../../calls/state.ts";
import { elapsedText } from "../../calls/clock.ts";
import { acceptCall, declineCall, hangUp } from "../../calls/controller.ts";
import { Avatar } from "../common/Avatar.tsx";
import { useAvatarName, usePersonName } from "../common/names.tsx";
import { CallControls } from "./CallControls.tsx";
import { EncryptionBadge } from "./EncryptionBadge.tsx";
import { MediaView } from "./MediaView.tsx";
import "./Call.css";

/**
 * Renders the call screen over every screen of the app: the ringing of an
 * incoming call, an outgoing call, the call itself and its closing state.
 */
export function CallOverlay() {
  const view = currentCall.value;
  if (view === null) return null;
  return (
    <div
      class="call"
      role="dialog"
      aria-modal="true"
      aria-label={dialogLabel(view)}
    >
      <CallScreen view={view} />
    </div>
  );
}

function dialogLabel(view: CallView): string {
  const kind = view.info.video ? "video call" : "voice call";
  if (view.phase === "incoming") return `Incoming ${kind}`;
  return view.outgoing ? `Outgoing ${kind}` : `Incoming ${kind}`;
}

function CallScreen({ view }: { view: CallView }) {
  switch (view.phase) {
    case "incoming":
      return <IncomingScreen view={view} />;
    case "outgoing":
    case "connecting":
    case "active":
      return <InCallScreen view={view} />;
    case "ended":
      return <EndedScreen view={view} />;
  }
}

function Person({ view, status }: { view: CallView; status: string }) {
  const name = usePersonName(view.peerId);
  const avatarName = useAvatarName(view.peerId);
  return (
    <div class="call__person">
      <Avatar id={view.peerId} name={avatarName} size="large" />
      <h2 class="call__name">{name}</h2>
      <p class="call__status" role="status">
        {status}
      </p>
    </div>
  );
}

function IncomingScreen({ view }: { view: CallView }) {
  const kind = view.info.video ? "video call" : "voice call";
  return (
    <div class="call__panel">
      <Person view={view} status={`Incoming ${kind}`} />
      {view.mediaProblem !== null && (
        <p class="call__problem" role="alert">
          {view.mediaProblem}
        </p>
      )}
      <div class="call__actions">
        <button
          type="button"
          class="call__round call__round--end"
          onClick={declineCall}
        >
          Decline
        </button>
        {view.info.video ? (
          <>
            <button
              type="button"
              class="call__round"
              onClick={() => void acceptCall(false)}
            >
              Accept as voice call
            </button>
            <button
              type="button"
              class="call__round call__round--accept"
              onClick={() => void acceptCall(true)}
            >
              Accept with video
            </button>
          </>
        ) : (
          <button
            type="button"
            class="call__round call__round--accept"
            onClick={() => void acceptCall(false)}
          >
            Accept
          </button>
        )}
      </div>
    </div>
  );
}

/** Re-renders every second while `running`, for the duration timer. */
function useSecondTick(running: boolean): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setTick((tick) => tick + 1), 1000);
    return () => clearInterval(timer);
  }, [running]);
}

function statusOf(view: CallView): string {
  if (view.phase === "outgoing") {
    return view.progress === "ringing" ? "Ringing…" : "Calling…";
  }
  if (view.reconnecting) return "Reconnecting…";
  if (view.phase === "connecting" || view.acceptedAt === null) {
    return "Connecting…";
  }
  return elapsedText(view.acceptedAt);
}

function InCallScreen({ view }: { view: CallView }) {
  useSecondTick(view.phase === "active");
  const status = statusOf(view);
  const showsVideo =
    view.remoteVideo && (view.remoteStream?.getVideoTracks().length ?? 0) > 0;
  return (
    <div class={showsVideo ? "call__panel call__panel--video" : "call__panel"}>
      <MediaView view={view} showsVideo={showsVideo} />
      {showsVideo ? (
        <p class="call__overlay-status" role="status">
          {status}
        </p>
      ) : (
        <Person view={view} status={status} />
      )}
      <RemoteState view={view} />
      {view.phase !== "outgoing" && (
        <EncryptionBadge code={view.securityCode} />
      )}
      {view.mediaProblem !== null && (
        <p class="call__problem" role="alert">
          {view.mediaProblem}
        </p>
      )}
      {view.phase === "outgoing" ? (
        <div class="call__actions">
          <button
            type="button"
            class="call__round call__round--end"
            onClick={() => hangUp()}
          >
            Cancel
          </button>
        </div>
      ) : (
        <CallControls view={view} />
      )}
    </div>
  );
}

/** Lists the other end's muted microphone and camera, and a poor link. */
function RemoteState({ view }: { view: CallView }) {
  const name = usePersonName(view.peerId);
  const notes: string[] = [];
  if (view.phase === "active" && !view.remoteAudio) {
    notes.push(`${name} muted their microphone`);
  }
  if (view.phase === "active" && view.info.video && !view.remoteVideo) {
    notes.push(`${name} turned their camera off`);
  }
  if (view.waitingForKeys) notes.push("Waiting for keys…");
  if (view.quality === "poor" || view.quality === "bad") {
    notes.push("Poor connection");
  }
  if (notes.length === 0) return null;
  return (
    <ul class="call__notes" aria-label="Call status">
      {notes.map((note) => (
        <li key={note}>{note}</li>
      ))}
    </ul>
  );
}

function EndedScreen({ view }: { view: CallView }) {
  return (
    <div class="call__panel">
      <Person view={view} status={view.endText ?? "Call ended"} />
    </div>
  );
}
