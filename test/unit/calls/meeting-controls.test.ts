import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GroupCallInfo } from "../../../protocol/index.ts";
import {
  setActiveGroupCall,
  type ActiveGroupCall,
  type MeetingControl,
} from "../../../pwa/src/calls/group/active.ts";
import {
  toggleGroupCamera,
  toggleGroupMute,
  toggleGroupScreen,
} from "../../../pwa/src/calls/group/controls.ts";
import { currentGroupCall } from "../../../pwa/src/calls/group/state.ts";

// The call controls of a RealtimeKit call act on the meeting through
// MeetingControl, here a fake that records each request.

const INFO: GroupCallInfo = {
  callId: "01900000-0000-7000-8000-000000000002",
  chatId: "g_1",
  startedBy: "u-ana",
  startedAt: 1,
  video: true,
  provider: "realtimekit",
  participants: [],
};

function track(kind: "audio" | "video"): MediaStreamTrack {
  return { id: `${kind}-1`, kind, enabled: true } as MediaStreamTrack;
}

function fakeMeeting() {
  const screen = track("video");
  const meeting = {
    muted: [] as boolean[],
    cameras: [] as (MediaStreamTrack | null)[],
    screens: [] as boolean[],
    renders: 0,
    screen,
    failScreen: false,
  };
  const control: MeetingControl = {
    render: () => {
      meeting.renders += 1;
    },
    setMuted: (muted) => {
      meeting.muted.push(muted);
      return Promise.resolve();
    },
    setCamera: (camera) => {
      meeting.cameras.push(camera);
      return Promise.resolve();
    },
    setScreen: (on) => {
      meeting.screens.push(on);
      if (meeting.failScreen) {
        return Promise.reject(new Error("Permission denied"));
      }
      return Promise.resolve(on ? screen : null);
    },
    leave: () => undefined,
  };
  return { meeting, control };
}

function activeCall(control: MeetingControl): ActiveGroupCall {
  const microphone = track("audio");
  const camera = track("video");
  return {
    chatId: INFO.chatId,
    callId: INFO.callId,
    stream: {
      getTracks: () => [microphone, camera],
      getAudioTracks: () => [microphone],
      getVideoTracks: () => [camera],
    } as unknown as MediaStream,
    screen: null,
    session: null,
    meeting: control,
    encryption: null,
    keyring: null,
    localKey: Promise.resolve(null),
    published: new Map(),
    pulls: new Map(),
    info: INFO,
    admitted: true,
    joinedAt: 1,
    rid: null,
    timers: [],
    releaseTab: () => undefined,
    ended: false,
  };
}

describe("RealtimeKit call controls", () => {
  beforeEach(() => {
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
    setActiveGroupCall(null);
    currentGroupCall.value = null;
  });

  it("mute stops the meeting microphone", () => {
    const { meeting, control } = fakeMeeting();
    setActiveGroupCall(activeCall(control));

    toggleGroupMute();
    expect(meeting.muted).toEqual([true]);
    expect(currentGroupCall.value?.muted).toBe(true);

    toggleGroupMute();
    expect(meeting.muted).toEqual([true, false]);
    expect(currentGroupCall.value?.muted).toBe(false);
  });

  it("camera off stops meeting video", async () => {
    const { meeting, control } = fakeMeeting();
    const call = activeCall(control);
    setActiveGroupCall(call);

    await toggleGroupCamera();
    expect(meeting.cameras).toEqual([null]);
    expect(currentGroupCall.value?.cameraOn).toBe(false);

    await toggleGroupCamera();
    expect(meeting.cameras[1]).toBe(call.stream.getVideoTracks()[0]);
    expect(currentGroupCall.value?.cameraOn).toBe(true);
  });

  it("screen share starts and stops", async () => {
    const { meeting, control } = fakeMeeting();
    const call = activeCall(control);
    setActiveGroupCall(call);

    await toggleGroupScreen();
    expect(meeting.screens).toEqual([true]);
    expect(call.screen).toBe(meeting.screen);
    expect(currentGroupCall.value?.sharingScreen).toBe(true);
    expect(meeting.renders).toBe(1);

    await toggleGroupScreen();
    expect(meeting.screens).toEqual([true, false]);
    expect(call.screen).toBeNull();
    expect(currentGroupCall.value?.sharingScreen).toBe(false);
  });

  it("failed screen share shows a problem", async () => {
    const { meeting, control } = fakeMeeting();
    meeting.failScreen = true;
    setActiveGroupCall(activeCall(control));

    await toggleGroupScreen();

    expect(currentGroupCall.value?.sharingScreen).toBe(false);
    expect(currentGroupCall.value?.problem).toBe(
      "Screen sharing failed (Permission denied).",
    );
  });
});
