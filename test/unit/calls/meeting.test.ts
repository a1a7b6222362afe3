import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { GroupCallInfo } from "../../../protocol/index.ts";
import type { ActiveGroupCall } from "../../../pwa/src/calls/group/active.ts";
import {
  handleRoomLeft,
  openMeeting,
} from "../../../pwa/src/calls/group/meeting.ts";
import { currentGroupCall } from "../../../pwa/src/calls/group/state.ts";

// The paths of a RealtimeKit call that end or retry it before the SDK
// loads: the token request and the meeting's leave events.
//
// NOTE: no test runs openMeeting through Client.init and join, because
// the SDK's mock (setupStubs of @cloudflare/realtimekit/mock, 2.0.2)
// cannot complete them. Its fetch replaces window.fetch and returns {}
// for every request, this app's token route included, so init fails on
// participant-details ("reading 'meeting'"). In Node, with window,
// document and location shimmed and participant-details served, init
// stops at device detection, which finds no browser. In Chromium, with
// participant-details served by the test, init still fails after 3 s
// with "Failed", because the plugin store "__rtk_plugins__" gets no
// storeGetKeys reply. The mock also replies only to media events
// numbered 1 << 24 | n, but the SDK sends 3 << 24 | n, so
// createWebRTCTransport gets no reply either.

const INFO: GroupCallInfo = {
  callId: "01900000-0000-7000-8000-000000000001",
  chatId: "g_1",
  startedBy: "u-ana",
  startedAt: 1,
  video: false,
  provider: "realtimekit",
  participants: [],
};

function activeCall(): ActiveGroupCall {
  return {
    chatId: INFO.chatId,
    callId: INFO.callId,
    stream: { getTracks: () => [] } as unknown as MediaStream,
    screen: null,
    session: null,
    meeting: null,
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

/** Replaces fetch with one that returns `reply` and records the URLs. */
function fakeFetch(reply: () => Response | Promise<Response>): string[] {
  const urls: string[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string) => {
      urls.push(url);
      return Promise.resolve(reply());
    }),
  );
  return urls;
}

describe("RealtimeKit call states", () => {
  beforeEach(() => {
    vi.stubGlobal("sessionStorage", { removeItem: () => undefined });
    currentGroupCall.value = {
      call: INFO,
      phase: "active",
      tiles: [],
      muted: false,
      cameraOn: false,
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

  it("token request goes to the call's route", async () => {
    const urls = fakeFetch(() => new Response(null, { status: 404 }));

    await openMeeting(activeCall());

    expect(urls).toEqual([
      `/api/chats/g_1/calls/${INFO.callId}/realtimekit/token`,
    ]);
  });

  it("ended call stops without retry", async () => {
    fakeFetch(() => new Response(null, { status: 404 }));
    const call = activeCall();

    await openMeeting(call);

    expect(call.ended).toBe(true);
    expect(currentGroupCall.value?.phase).toBe("ended");
    expect(currentGroupCall.value?.message).toBe("This call has ended.");
  });

  it("server failure is retried", async () => {
    fakeFetch(() => new Response(null, { status: 503 }));
    const call = activeCall();

    await expect(openMeeting(call)).rejects.toThrow(/status 503/);
    expect(call.ended).toBe(false);
  });

  it("network failure is retried", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("offline")));
    const call = activeCall();

    await expect(openMeeting(call)).rejects.toThrow(/Cannot reach/);
    expect(call.ended).toBe(false);
  });

  it("reply without a token is retried", async () => {
    fakeFetch(() => Response.json({ meetingId: "m1" }));
    const call = activeCall();

    await expect(openMeeting(call)).rejects.toThrow(/no token/);
    expect(call.ended).toBe(false);
  });

  it("kick from the meeting ends the call", () => {
    const call = activeCall();

    handleRoomLeft(call, "kicked");

    expect(call.ended).toBe(true);
    expect(currentGroupCall.value?.message).toBe("This call has ended.");
  });

  it("own leave keeps the call state", () => {
    const call = activeCall();

    handleRoomLeft(call, "left");

    expect(call.ended).toBe(false);
    expect(currentGroupCall.value?.phase).toBe("active");
  });

  it("disconnect rejoins with a fresh token", async () => {
    const urls = fakeFetch(() => new Response(null, { status: 404 }));
    const call = activeCall();

    handleRoomLeft(call, "disconnected");

    await vi.waitFor(() => expect(urls).toHaveLength(1));
    expect(urls[0]).toMatch(/\/realtimekit\/token$/);
  });
});
