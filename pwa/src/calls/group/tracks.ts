import { log } from "../../data/log.ts";
import { myDeviceId, pullKey, type ActiveGroupCall } from "./active.ts";
import type { GroupTile } from "./state.ts";
import { currentGroupCall, sameTracks, updateGroupCall } from "./state.ts";

/**
 * Keeps the pulled tracks in step with the call's participants: pulls the
 * tracks of new participants, closes those of participants who left or
 * whose session changed, and rebuilds the tiles.
 */

interface WantedTrack {
  sessionId: string;
  trackName: string;
}

function wantedTracks(call: ActiveGroupCall): WantedTrack[] {
  const me = myDeviceId();
  const wanted: WantedTrack[] = [];
  for (const participant of call.info?.participants ?? []) {
    if (participant.deviceId === me || participant.sessionId === null) continue;
    for (const track of participant.tracks) {
      wanted.push({
        sessionId: participant.sessionId,
        trackName: track.trackName,
      });
    }
  }
  return wanted;
}

/** Tracks being pulled right now, so a second sync does not pull them. */
const pulling = new Set<string>();

/**
 * Pulls the missing tracks and closes the unwanted ones. Returns how many
 * wanted tracks the SFU did not deliver, such as a track it did not find
 * because its publisher had not finished publishing.
 */
export async function syncPulls(call: ActiveGroupCall): Promise<number> {
  const session = call.session;
  if (session === null || session.sessionId === "") return 0;
  const wanted = wantedTracks(call);
  const wantedKeys = new Set(
    wanted.map((track) => pullKey(track.sessionId, track.trackName)),
  );
  const missing = wanted.filter((track) => {
    const key = pullKey(track.sessionId, track.trackName);
    return !call.pulls.has(key) && !pulling.has(key);
  });
  const stale = [...call.pulls.entries()].filter(
    ([key]) => !wantedKeys.has(key),
  );
  for (const [key] of stale) call.pulls.delete(key);
  if (stale.length > 0) {
    const mids = stale.map(([, pulled]) => pulled.mid);
    session.close(mids).catch((error: unknown) => {
      log("group_call_close_failed", {
        callId: call.callId,
        error: String(error),
      });
    });
  }
  let failed = 0;
  if (missing.length > 0) {
    const keys = missing.map((track) =>
      pullKey(track.sessionId, track.trackName),
    );
    for (const key of keys) pulling.add(key);
    try {
      const pulled = await session.pull(missing);
      if (call.session !== session) return 0;
      for (const track of pulled) {
        call.pulls.set(pullKey(track.sessionId, track.trackName), track);
      }
      failed = missing.length - pulled.length;
    } finally {
      for (const key of keys) pulling.delete(key);
    }
  }
  renderTiles(call);
  return failed;
}

function streamOf(tracks: MediaStreamTrack[]): MediaStream | null {
  return tracks.length === 0 ? null : new MediaStream(tracks);
}

function remoteTile(
  call: ActiveGroupCall,
  participant: GroupTile["participant"],
): GroupTile {
  const sessionId = participant.sessionId ?? "";
  const media: MediaStreamTrack[] = [];
  const screen: MediaStreamTrack[] = [];
  for (const track of participant.tracks) {
    const pulled = call.pulls.get(pullKey(sessionId, track.trackName));
    if (pulled === undefined) continue;
    (track.kind === "screen" ? screen : media).push(pulled.track);
  }
  return {
    participant,
    stream: streamOf(media),
    screenStream: streamOf(screen),
    self: false,
  };
}

/** Rebuilds the tiles from the call's participants and pulled tracks. */
export function renderTiles(call: ActiveGroupCall): void {
  if (call.meeting !== null) {
    call.meeting.render();
    return;
  }
  const view = currentGroupCall.value;
  if (view === null || call.info === null) return;
  const me = myDeviceId();
  const previous = new Map(
    view.tiles.map((tile) => [tile.participant.deviceId, tile]),
  );
  const tiles = call.info.participants.map((participant): GroupTile => {
    if (participant.deviceId === me) {
      return {
        participant,
        stream: call.stream,
        screenStream:
          call.screen === null ? null : new MediaStream([call.screen]),
        self: true,
      };
    }
    const tile = remoteTile(call, participant);
    const old = previous.get(participant.deviceId);
    // Keep the same stream objects, so the video elements keep playing.
    if (old !== undefined && sameTracks(old.stream, tile.stream)) {
      tile.stream = old.stream;
    }
    if (old !== undefined && sameTracks(old.screenStream, tile.screenStream)) {
      tile.screenStream = old.screenStream;
    }
    return tile;
  });
  updateGroupCall(call.callId, { tiles, call: call.info });
}
