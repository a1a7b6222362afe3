import {
  declineGroupCall,
  joinGroupCall,
  leaveGroupCall,
} from "../../calls/group/engine.ts";
import {
  toggleGroupCamera,
  toggleGroupMute,
  toggleGroupScreen,
} from "../../calls/group/controls.ts";
import {
  currentGroupCall,
  type GroupCallView,
} from "../../calls/group/state.ts";
import { useLiveQuery } from "../../data/hooks.ts";
import { db } from "../../data/db.ts";
import { run } from "../common/notice.tsx";
import { PersonName } from "../common/names.tsx";
import { EncryptionBadge } from "./EncryptionBadge.tsx";
import { GroupTileView } from "./GroupTileView.tsx";
import "./Call.css";

/**
 * Renders the group call screen over the app: the ringing of a call, the
 * grid of participants with its controls, and the closing message.
 */
export function GroupCallOverlay() {
  const view = currentGroupCall.value;
  if (view === null) return null;
  const kind = view.call.video ? "video call" : "voice call";
  return (
    <div
      class="call"
      role="dialog"
      aria-modal="true"
      aria-label={
        view.phase === "ringing" ? `Incoming group ${kind}` : `Group ${kind}`
      }
    >
      <GroupCallBody view={view} />
    </div>
  );
}

function GroupCallBody({ view }: { view: GroupCallView }) {
  switch (view.phase) {
    case "ringing":
      return <RingScreen view={view} />;
    case "joining":
    case "active":
      return <GridScreen view={view} />;
    case "ended":
      return (
        <div class="call__panel">
          <p class="call__status" role="status">
            {view.message}
          </p>
        </div>
      );
  }
}

function GroupName({ chatId }: { chatId: string }) {
  const chat = useLiveQuery(() => db.chats.get(chatId), [chatId]);
  return <>{chat?.name ?? "Group"}</>;
}

function RingScreen({ view }: { view: GroupCallView }) {
  const { call } = view;
  const kind = call.video ? "video call" : "voice call";
  return (
    <div class="call__panel">
      <div class="call__person">
        <h2 class="call__name">
          <GroupName chatId={call.chatId} />
        </h2>
        <p class="call__status" role="status">
          <PersonName id={call.startedBy} subject /> started a group {kind}
        </p>
      </div>
      <div class="call__actions">
        <button
          type="button"
          class="call__round call__round--end"
          onClick={declineGroupCall}
        >
          Decline
        </button>
        <button
          type="button"
          class="call__round call__round--accept"
          onClick={() => {
            currentGroupCall.value = null;
            run(() => joinGroupCall(call.chatId, call.video));
          }}
        >
          Join
        </button>
      </div>
    </div>
  );
}

/** Columns of the grid for `count` tiles: near square, wider than tall. */
function columnsFor(count: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(count)));
}

function GridScreen({ view }: { view: GroupCallView }) {
  const count = view.tiles.length;
  const status =
    view.phase === "joining"
      ? "Joining…"
      : `${count} ${count === 1 ? "participant" : "participants"}`;
  return (
    <div class="call__panel group-call">
      <p class="call__status" role="status">
        <GroupName chatId={view.call.chatId} /> · {status}
      </p>
      <ul
        class="group-call__grid"
        aria-label="Participants"
        style={{ "--columns": String(columnsFor(count)) }}
      >
        {view.tiles.map((tile) => (
          <GroupTileView
            key={tile.participant.deviceId}
            tile={tile}
            speaking={view.speakerDeviceId === tile.participant.deviceId}
            waitingForKeys={view.waitingDevices.includes(
              tile.participant.deviceId,
            )}
          />
        ))}
      </ul>
      {view.phase === "active" &&
        (view.call.provider === "realtimekit" ? (
          <p class="call__e2ee">
            Encrypted in transit, not end to end, on this server's call service
          </p>
        ) : (
          <EncryptionBadge code={view.securityCode} />
        ))}
      {view.problem !== null && (
        <p class="call__problem" role="alert">
          {view.problem}
        </p>
      )}
      <GroupControls view={view} />
    </div>
  );
}

function GroupControls({ view }: { view: GroupCallView }) {
  return (
    <div class="call__controls" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        class="call__round"
        aria-pressed={view.muted}
        onClick={toggleGroupMute}
      >
        {view.muted ? "Unmute" : "Mute"}
      </button>
      <button
        type="button"
        class="call__round"
        onClick={() => void toggleGroupCamera()}
      >
        {view.cameraOn ? "Turn camera off" : "Turn camera on"}
      </button>
      <button
        type="button"
        class="call__round"
        aria-pressed={view.sharingScreen}
        onClick={() => void toggleGroupScreen()}
      >
        {view.sharingScreen ? "Stop sharing" : "Share screen"}
      </button>
      <button
        type="button"
        class="call__round call__round--end"
        onClick={leaveGroupCall}
      >
        Leave
      </button>
    </div>
  );
}
