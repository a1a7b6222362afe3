import type { LeaveRoomState } from "@cloudflare/realtimekit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  GroupCallInfo,
  GroupCallParticipant,
} from "../../../protocol/index.ts";
import { realtimeKitParticipantKey } from "../../../protocol/realtimekit.ts";
import {
  showMeeting,
  type MeetingFeed,
  type MeetingPeer,
} from "../../../pwa/src/calls/group/meeting-view.ts";
import { currentGroupCall } from "../../../pwa/src/calls/group/state.ts";

// NOTE: @cloudflare/realtimekit 2.0.2 ships a `./mock` export, but its
// setupStubs() replies to every REST request with `{}`, so Client.init()
// fails in Node ("reading 'meeting'") even with browser globals faked.
// These tests drive the call screen through MeetingFeed with peers typed
// by the SDK's own RTKParticipant fields instead.

/** MediaStream stand-in for Node, which has none. */
class FakeStream {
  constructor(private readonly tracks: MediaStreamTrack[] = []) {}
  getTracks() {
    return this.tracks;
  }
}

function track(id: string, kind: "audio" | "video"): MediaStreamTrack {
  return { id, kind } as MediaStreamTrack;
}

const ME = { userId: "u-me", deviceId: "d-me" };
const BEN = { userId: "u-ben", deviceId: "d-ben" };

function participant(ids: typeof ME): GroupCallParticipant {
  return {
    ...ids,
    sessionId: null,
    tracks: [],
    audio: true,
    video: false,
    screen: false,
    joinedAt: 1,
    reconnecting: false,
    callKey: null,
  };
}

const INFO: GroupCallInfo = {
  callId: "call-1",
  chatId: "g_1",
  startedBy: ME.userId,
  startedAt: 1,
  video: true,
  provider: "realtimekit",
  participants: [participant(ME), participant(BEN)],
};

function peer(ids: typeof ME, patch: Partial<MeetingPeer> = {}): MeetingPeer {
  return {
    id: `peer-${ids.deviceId}`,
    customParticipantId: realtimeKitParticipantKey(ids.userId, ids.deviceId),
    audioEnabled: true,
    videoEnabled: true,
    screenShareEnabled: false,
    audioTrack: track(`${ids.deviceId}-mic`, "audio"),
    videoTrack: track(`${ids.deviceId}-cam`, "video"),
    screenShareTracks: {
      audio: track(`${ids.deviceId}-screen-audio`, "audio"),
      video: track(`${ids.deviceId}-screen`, "video"),
    },
    ...patch,
  };
}

/** Makes a meeting whose peers and events the test sets. */
function fakeFeed() {
  const feed = {
    peers: new Map<string, MeetingPeer>(),
    changed: [] as (() => void)[],
    speaking: [] as ((peerId: string) => void)[],
    left: [] as ((state: LeaveRoomState) => void)[],
    set(next: MeetingPeer) {
      feed.peers.set(next.id, next);
      for (const listener of feed.changed) listener();
    },
    drop(id: string) {
      feed.peers.delete(id);
      for (const listener of feed.changed) listener();
    },
    speak(peerId: string) {
      for (const listener of feed.speaking) listener(peerId);
    },
  };
  const api: MeetingFeed = {
    peers: () => feed.peers.values(),
    onPeersChange: (listener) => feed.changed.push(listener),
    onActiveSpeaker: (listener) => feed.speaking.push(listener),
    onRoomLeft: (listener) => feed.left.push(listener),
  };
  return { feed, api };
}

const local = new FakeStream() as unknown as MediaStream;

function show(api: MeetingFeed) {
  showMeeting(api, {
    callId: INFO.callId,
    info: () => INFO,
    local: () => ({ deviceId: ME.deviceId, stream: local, screen: null }),
  });
}

function benTile() {
  return currentGroupCall.value?.tiles.find(
    (tile) => tile.participant.deviceId === BEN.deviceId,
  );
}

function trackIds(stream: MediaStream | null | undefined) {
  return stream?.getTracks().map((item) => item.id) ?? null;
}

describe("RealtimeKit call screen", () => {
  beforeEach(() => {
    vi.stubGlobal("MediaStream", FakeStream);
    currentGroupCall.value = {
      call: INFO,
      phase: "active",
      tiles: [],
      muted: false,
      cameraOn: true,
      sharingScreen: false,
      speakerDeviceId: null,
      problem: null,
      message: null,
      securityCode: null,
      waitingDevices: [],
    };
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    currentGroupCall.value = null;
  });

  it("shows room participants before peers join", () => {
    const { api } = fakeFeed();
    show(api);

    const tiles = currentGroupCall.value?.tiles ?? [];
    expect(tiles.map((tile) => tile.participant.deviceId)).toEqual([
      ME.deviceId,
      BEN.deviceId,
    ]);
    expect(tiles[0]?.self).toBe(true);
    expect(tiles[0]?.stream).toBe(local);
    expect(benTile()?.stream).toBeNull();
  });

  it("joined peer fills its tile", () => {
    const { feed, api } = fakeFeed();
    show(api);

    feed.set(peer(BEN));

    expect(trackIds(benTile()?.stream)).toEqual(["d-ben-mic", "d-ben-cam"]);
    expect(benTile()?.participant.video).toBe(true);
  });

  it("peer leaving empties its tile", () => {
    const { feed, api } = fakeFeed();
    show(api);
    feed.set(peer(BEN));

    feed.drop(`peer-${BEN.deviceId}`);

    expect(benTile()?.stream).toBeNull();
    expect(benTile()?.participant.deviceId).toBe(BEN.deviceId);
  });

  it("mute clears audio of the tile", () => {
    const { feed, api } = fakeFeed();
    show(api);
    feed.set(peer(BEN));

    feed.set(peer(BEN, { audioEnabled: false }));

    expect(benTile()?.participant.audio).toBe(false);
    expect(trackIds(benTile()?.stream)).toEqual(["d-ben-cam"]);
  });

  it("camera off and screen share map", () => {
    const { feed, api } = fakeFeed();
    show(api);

    feed.set(peer(BEN, { videoEnabled: false, screenShareEnabled: true }));

    expect(benTile()?.participant.video).toBe(false);
    expect(benTile()?.participant.screen).toBe(true);
    expect(trackIds(benTile()?.stream)).toEqual(["d-ben-mic"]);
    expect(trackIds(benTile()?.screenStream)).toEqual(["d-ben-screen"]);
  });

  it("keeps the stream while tracks stay", () => {
    const { feed, api } = fakeFeed();
    show(api);
    feed.set(peer(BEN));
    const first = benTile()?.stream;

    feed.set(peer(BEN));

    expect(benTile()?.stream).toBe(first);
  });

  it("peer outside the room gets no tile", () => {
    const { feed, api } = fakeFeed();
    show(api);

    feed.set(peer({ userId: "u-eve", deviceId: "d-eve" }));

    expect(currentGroupCall.value?.tiles).toHaveLength(2);
  });

  it("active speaker maps to its device", () => {
    const { feed, api } = fakeFeed();
    show(api);
    feed.set(peer(BEN));

    feed.speak(`peer-${BEN.deviceId}`);
    expect(currentGroupCall.value?.speakerDeviceId).toBe(BEN.deviceId);

    feed.speak("peer-unknown");
    expect(currentGroupCall.value?.speakerDeviceId).toBeNull();
  });

  it("ignores events of another call", () => {
    const { feed, api } = fakeFeed();
    show(api);
    const view = currentGroupCall.value;
    if (view === null) throw new Error("no call view");
    currentGroupCall.value = {
      ...view,
      call: { ...INFO, callId: "call-2" },
      tiles: [],
    };

    feed.set(peer(BEN));

    expect(currentGroupCall.value?.tiles).toEqual([]);
  });
});
