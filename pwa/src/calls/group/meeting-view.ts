import type { LeaveRoomState, RTKParticipant } from "@cloudflare/realtimekit";
import type { GroupCallInfo } from "../../../../protocol/index.ts";
import { realtimeKitParticipantKey } from "../../../../protocol/realtimekit.ts";
import {
  currentGroupCall,
  sameTracks,
  updateGroupCall,
  type GroupTile,
} from "./state.ts";

/**
 * Maps a RealtimeKit meeting onto the group call screen state that the
 * SFU path fills (GroupCallView), so both providers look the same. The
 * room's state remains the list of participants. The meeting adds each
 * one's tracks, mute, camera and screen state, matched through the
 * custom participant id that the server gave its device.
 */

/** The fields of a meeting participant that the call screen uses. */
export type MeetingPeer = Pick<
  RTKParticipant,
  | "id"
  | "customParticipantId"
  | "audioEnabled"
  | "videoEnabled"
  | "screenShareEnabled"
  | "audioTrack"
  | "videoTrack"
  | "screenShareTracks"
>;

/**
 * The meeting as the call screen follows it: an adapter over the
 * RealtimeKit client (group/meeting.ts), or a fake in tests.
 */
export interface MeetingFeed {
  /** The meeting's joined participants, this device excluded. */
  peers(): Iterable<MeetingPeer>;
  /** Calls `listener` when a peer joins, leaves or changes its media. */
  onPeersChange(listener: () => void): void;
  /** Calls `listener` with the peer id of each new active speaker. */
  onActiveSpeaker(listener: (peerId: string) => void): void;
  /** Calls `listener` when this device leaves the meeting, and why. */
  onRoomLeft(listener: (state: LeaveRoomState) => void): void;
}

/** This device's own media, shown on its tile. */
export interface LocalMedia {
  deviceId: string;
  stream: MediaStream;
  screen: MediaStreamTrack | null;
}

function streamOf(tracks: (MediaStreamTrack | undefined)[]) {
  const present = tracks.filter((track) => track !== undefined);
  return present.length === 0 ? null : new MediaStream(present);
}

function peerByDevice(peers: Iterable<MeetingPeer>) {
  const byKey = new Map<string, MeetingPeer>();
  for (const peer of peers) {
    if (peer.customParticipantId !== undefined) {
      byKey.set(peer.customParticipantId, peer);
    }
  }
  return byKey;
}

/** Builds the tile of a remote participant from its meeting peer. */
function peerTile(
  participant: GroupTile["participant"],
  peer: MeetingPeer | undefined,
  old: GroupTile | undefined,
): GroupTile {
  if (peer === undefined) {
    // Admitted by the room but not in the meeting yet.
    return { participant, stream: null, screenStream: null, self: false };
  }
  const tile: GroupTile = {
    participant: {
      ...participant,
      audio: peer.audioEnabled,
      video: peer.videoEnabled,
      screen: peer.screenShareEnabled,
    },
    stream: streamOf([
      peer.audioEnabled ? peer.audioTrack : undefined,
      peer.videoEnabled ? peer.videoTrack : undefined,
    ]),
    screenStream: peer.screenShareEnabled
      ? streamOf([peer.screenShareTracks.video])
      : null,
    self: false,
  };
  // Keep the same stream objects, so the video elements keep playing.
  if (old !== undefined && sameTracks(old.stream, tile.stream)) {
    tile.stream = old.stream;
  }
  if (old !== undefined && sameTracks(old.screenStream, tile.screenStream)) {
    tile.screenStream = old.screenStream;
  }
  return tile;
}

/** Builds the tiles of the room's participants from the meeting. */
export function meetingTiles(
  info: GroupCallInfo,
  peers: Iterable<MeetingPeer>,
  local: LocalMedia,
  previous: readonly GroupTile[],
): GroupTile[] {
  const byKey = peerByDevice(peers);
  const old = new Map(
    previous.map((tile) => [tile.participant.deviceId, tile]),
  );
  return info.participants.map((participant): GroupTile => {
    if (participant.deviceId === local.deviceId) {
      return {
        participant,
        stream: local.stream,
        screenStream:
          local.screen === null ? null : new MediaStream([local.screen]),
        self: true,
      };
    }
    const key = realtimeKitParticipantKey(
      participant.userId,
      participant.deviceId,
    );
    return peerTile(participant, byKey.get(key), old.get(participant.deviceId));
  });
}

/**
 * Returns the device id of the room participant whose meeting peer is
 * `peerId`, or null for this device and for peers not in the room.
 */
export function meetingSpeaker(
  info: GroupCallInfo,
  peers: Iterable<MeetingPeer>,
  peerId: string,
): string | null {
  for (const peer of peers) {
    if (peer.id !== peerId) continue;
    return (
      info.participants.find(
        (participant) =>
          realtimeKitParticipantKey(
            participant.userId,
            participant.deviceId,
          ) === peer.customParticipantId,
      )?.deviceId ?? null
    );
  }
  return null;
}

/** The call a feed is shown for, read at each event. */
export interface ShownCall {
  callId: string;
  info(): GroupCallInfo | null;
  local(): LocalMedia;
}

/**
 * Follows `feed` and writes its tiles and active speaker into the call
 * screen state of `call`. Returns the function that rebuilds the tiles,
 * for changes of the room's state.
 */
export function showMeeting(feed: MeetingFeed, call: ShownCall): () => void {
  const render = () => {
    const info = call.info();
    const view = currentGroupCall.value;
    if (info === null || view === null || view.call.callId !== call.callId) {
      return;
    }
    const tiles = meetingTiles(info, feed.peers(), call.local(), view.tiles);
    updateGroupCall(call.callId, { tiles, call: info });
  };
  feed.onPeersChange(render);
  feed.onActiveSpeaker((peerId) => {
    const info = call.info();
    if (info === null) return;
    const speakerDeviceId = meetingSpeaker(info, feed.peers(), peerId);
    if (currentGroupCall.value?.speakerDeviceId === speakerDeviceId) return;
    updateGroupCall(call.callId, { speakerDeviceId });
  });
  render();
  return render;
}
