import type {
  GroupCallInfo,
  GroupCallTrack,
} from "../../../../protocol/index.ts";
import { JOINED_GROUP_CALL_KEY } from "../../data/call-frames.ts";
import { session } from "../../data/state.ts";
import { sendFrame } from "../../data/wire.ts";
import type { FrameEncryption } from "../e2ee/frame-encryption.ts";
import type { LocalCallKey } from "../e2ee/key-exchange.ts";
import type { CallKeyring } from "../e2ee/keyring.ts";
import { loadLocalCallKey } from "../e2ee/mls-view.ts";
import type { PulledTrack, SfuSession } from "./session.ts";
import { currentGroupCall, updateGroupCall } from "./state.ts";

/**
 * This device's RealtimeKit meeting, for calls whose provider is
 * "realtimekit" (group/meeting.ts, loaded only for such calls).
 */
export interface MeetingControl {
  /** Rebuilds the tiles from the room's state and the meeting's peers. */
  render(): void;
  /** Stops or resumes sending the microphone to the meeting. */
  setMuted(muted: boolean): Promise<void>;
  /** Sends `track` as the camera, or stops sending video when null. */
  setCamera(track: MediaStreamTrack | null): Promise<void>;
  /**
   * Starts screen sharing, with the SDK's own screen picker, and resolves
   * with the shared track. Stops sharing and resolves with null when `on`
   * is false.
   */
  setScreen(on: boolean): Promise<MediaStreamTrack | null>;
  /** Leaves the meeting; later events of it are ignored. */
  leave(): void;
}

/** The engine's state of this device's group call, beside its view. */
export interface ActiveGroupCall {
  chatId: string;
  callId: string;
  /** The microphone track and, while published, the camera track. */
  stream: MediaStream;
  screen: MediaStreamTrack | null;
  session: SfuSession | null;
  /** Set instead of `session` when the call runs on RealtimeKit. */
  meeting: MeetingControl | null;
  /** The frame-encryption worker, shared by every SFU session of the call. */
  encryption: FrameEncryption | null;
  keyring: CallKeyring | null;
  /** This device's signed call key, kept when the call id changes. */
  localKey: Promise<LocalCallKey | null>;
  /** Published transceivers by track name. */
  published: Map<
    string,
    { transceiver: RTCRtpTransceiver; track: GroupCallTrack }
  >;
  /** Pulled tracks by `sessionId/trackName`. */
  pulls: Map<string, PulledTrack>;
  info: GroupCallInfo | null;
  /** Set once the room named this device among the participants. */
  admitted: boolean;
  /** This device's join time in the room's state, once admitted. */
  joinedAt: number | null;
  /** Request id of `groupcall.join` awaiting an error reply. */
  rid: string | null;
  timers: ReturnType<typeof setInterval>[];
  /** Releases this tab's claim on the call (claimCallTab). */
  releaseTab: () => void;
  ended: boolean;
}

let active: ActiveGroupCall | null = null;

export function activeGroupCall(): ActiveGroupCall | null {
  return active;
}

export function setActiveGroupCall(call: ActiveGroupCall | null): void {
  active = call;
}

export function myDeviceId(): string {
  return session.value?.deviceId ?? "";
}

export function pullKey(sessionId: string, trackName: string): string {
  return `${sessionId}/${trackName}`;
}

/** Name of the Web Lock held by the tab that is in a group call. */
const CALL_TAB_LOCK = "group-call-tab";

/**
 * Takes the Web Lock that marks this tab as the one in a group call, and
 * resolves with the function that releases it, or with null when another
 * tab of this browser holds it. Tabs of one browser are one device to the
 * room, so two of them in a call would replace each other's SFU session.
 */
export function claimCallTab(): Promise<(() => void) | null> {
  // NOTE: without Web Locks (an insecure context) nothing stops a second
  // tab, so two tabs can still replace each other's SFU session.
  if (!("locks" in navigator)) return Promise.resolve(() => undefined);
  return new Promise((resolve) => {
    // The lock's promise settles when the call releases it, which the
    // caller learns through the release function, not through this one.
    void navigator.locks.request(
      CALL_TAB_LOCK,
      { ifAvailable: true },
      (lock) => {
        if (lock === null) {
          resolve(null);
          return;
        }
        return new Promise<void>((release) => resolve(release));
      },
    );
  });
}

/** Remembers the call in this tab, so that a reload rejoins it. */
export function rememberCall(call: ActiveGroupCall, video: boolean): void {
  const joined = { chatId: call.chatId, callId: call.callId, video };
  sessionStorage.setItem(JOINED_GROUP_CALL_KEY, JSON.stringify(joined));
}

/** Sends this device's session, tracks and mute, camera and screen state. */
export function sendUpdate(call: ActiveGroupCall): void {
  const view = currentGroupCall.value;
  if (view === null) return;
  if (call.session === null && call.meeting === null) return;
  sendFrame({
    type: "groupcall.update",
    callId: call.callId,
    sessionId: call.session?.sessionId ?? null,
    tracks: [...call.published.values()].map((entry) => entry.track),
    audio: !view.muted,
    video: view.cameraOn,
    screen: view.sharingScreen,
  });
}

/** How long the closing message stays before the screen goes, in ms. */
const END_SCREEN_MS = 3_000;

/**
 * Ends the call on this device: stops the local media, closes the SFU
 * session and shows `message`, if any, for a few seconds.
 */
export function finishGroupCall(
  call: ActiveGroupCall,
  message: string | null,
): void {
  if (call.ended) return;
  call.ended = true;
  for (const timer of call.timers) clearInterval(timer);
  for (const track of call.stream.getTracks()) track.stop();
  call.screen?.stop();
  call.session?.end();
  call.meeting?.leave();
  call.meeting = null;
  call.releaseTab();
  call.keyring?.stop();
  call.encryption?.close();
  sessionStorage.removeItem(JOINED_GROUP_CALL_KEY);
  if (active === call) active = null;
  const callId = call.callId;
  if (message === null) {
    if (currentGroupCall.value?.call.callId === callId) {
      currentGroupCall.value = null;
    }
    return;
  }
  updateGroupCall(callId, { phase: "ended", message, tiles: [] });
  setTimeout(() => {
    if (currentGroupCall.value?.call.callId === callId) {
      currentGroupCall.value = null;
    }
  }, END_SCREEN_MS);
}

export function placeholderInfo(
  chatId: string,
  callId: string,
  video: boolean,
): GroupCallInfo {
  return {
    callId,
    chatId,
    startedBy: "",
    startedAt: Date.now(),
    video,
    // Replaced by the room's state, which names the call's provider.
    provider: "sfu",
    participants: [],
  };
}

/** Returns the state of a call that this tab starts or joins. */
export function newActiveCall(
  chatId: string,
  callId: string,
  releaseTab: () => void,
): ActiveGroupCall {
  return {
    chatId,
    callId,
    stream: new MediaStream(),
    screen: null,
    session: null,
    meeting: null,
    encryption: null,
    keyring: null,
    localKey: loadLocalCallKey(chatId, myDeviceId()),
    published: new Map(),
    pulls: new Map(),
    info: null,
    admitted: false,
    joinedAt: null,
    rid: null,
    timers: [],
    releaseTab,
    ended: false,
  };
}
