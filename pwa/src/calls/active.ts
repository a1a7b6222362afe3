import type {
  CallEndReason,
  CallInfo,
  CallOutcome,
  CallSignal,
} from "../../../protocol/index.ts";
import { sendFrame } from "../data/wire.ts";
import type { FrameEncryption } from "./e2ee/frame-encryption.ts";
import type { CallKeyring } from "./e2ee/keyring.ts";
import type { PeerLink } from "./peer.ts";
import type { StatsSample } from "./quality.ts";
import { currentCall, updateCall, type CallView } from "./state.ts";

/** The engine's state of this device's call, beside its view. */
export interface ActiveCall {
  info: CallInfo;
  outgoing: boolean;
  /** The microphone track and, while the camera is on, a camera track. */
  stream: MediaStream;
  link: PeerLink | null;
  /** The frame-encryption worker and its keys, from the accept on. */
  encryption: FrameEncryption | null;
  keyring: CallKeyring | null;
  audioSender: RTCRtpSender | null;
  videoSender: RTCRtpSender | null;
  /** Signals that came before the link existed. */
  pendingSignals: CallSignal[];
  iceServers: Promise<RTCIceServer[]>;
  /** Request id of `call.start` or `call.accept` awaiting an error. */
  rid: string | null;
  samples: StatsSample[];
  timers: ReturnType<typeof setInterval>[];
  ended: boolean;
}

let active: ActiveCall | null = null;

/**
 * Calls that ended on this device, whose late frames (a signal in flight,
 * the server's `call.ended` after a local hang-up) are dropped.
 */
const endedCalls = new Set<string>();

export function hasEnded(callId: string): boolean {
  return endedCalls.has(callId);
}

export function activeCall(): ActiveCall | null {
  return active;
}

export function setActiveCall(call: ActiveCall | null): void {
  active = call;
}

/** Returns the active call when it is `callId`. */
export function activeCallWithId(callId: string): ActiveCall | null {
  return active !== null && active.info.callId === callId ? active : null;
}

/** Returns the view of a call that just began on this device. */
export function initialView(
  info: CallInfo,
  outgoing: boolean,
  peerId: string,
): CallView {
  return {
    info,
    outgoing,
    peerId,
    phase: outgoing ? "outgoing" : "incoming",
    progress: "calling",
    acceptedAt: null,
    localStream: null,
    remoteStream: null,
    securityCode: null,
    waitingForKeys: false,
    muted: false,
    cameraOn: false,
    remoteAudio: true,
    remoteVideo: info.video,
    cameraCount: 0,
    speakers: [],
    speakerId: "",
    quality: "unknown",
    reconnecting: false,
    mediaProblem: null,
    endText: null,
  };
}

/** Tells the other end whether this end's microphone and camera send. */
export function sendMediaState(call: ActiveCall): void {
  const view = currentCall.value;
  if (view === null || call.link === null) return;
  sendFrame({
    type: "call.media",
    callId: call.info.callId,
    audio: !view.muted,
    video: view.cameraOn,
  });
}

/** Shows `stream` as the local preview, as a new object for the element. */
export function showLocalStream(call: ActiveCall): void {
  updateCall(call.info.callId, {
    localStream: new MediaStream(call.stream.getTracks()),
    cameraOn: call.stream.getVideoTracks().length > 0,
  });
}

/** How long the closing state stays before the call screen goes, in ms. */
const END_SCREEN_MS = 3_000;

/**
 * Ends the call on this device: stops the microphone and camera, closes
 * the connection and shows `endText`, if any, for a few seconds.
 */
export function finishCall(call: ActiveCall, endText: string | null): void {
  if (call.ended) return;
  call.ended = true;
  endedCalls.add(call.info.callId);
  for (const timer of call.timers) clearInterval(timer);
  for (const track of call.stream.getTracks()) track.stop();
  call.link?.close();
  call.keyring?.stop();
  call.encryption?.close();
  if (active === call) active = null;
  const callId = call.info.callId;
  if (endText === null) {
    if (currentCall.value?.info.callId === callId) currentCall.value = null;
    return;
  }
  updateCall(callId, {
    phase: "ended",
    endText,
    localStream: null,
    remoteStream: null,
  });
  setTimeout(() => {
    if (currentCall.value?.info.callId === callId) currentCall.value = null;
  }, END_SCREEN_MS);
}

/** Formats a running call's length as "02:31", or "1:02:31". */
export function formatTimer(durationMs: number): string {
  const total = Math.max(0, Math.floor(durationMs / 1000));
  const seconds = String(total % 60).padStart(2, "0");
  const minutes = String(Math.floor(total / 60) % 60).padStart(2, "0");
  const hours = Math.floor(total / 3600);
  return hours === 0
    ? `${minutes}:${seconds}`
    : `${hours}:${minutes}:${seconds}`;
}

/**
 * Returns the closing text of a call that the server ended, or null when
 * the screen should go at once (this person declined, cancelled, or another
 * of their devices took the call).
 */
export function endTextOf(
  reason: CallEndReason,
  outcome: CallOutcome,
  durationMs: number,
  outgoing: boolean,
): string | null {
  switch (reason) {
    case "hangup":
      return outcome === "completed"
        ? `Call ended ${formatTimer(durationMs)}`
        : null;
    case "declined":
      return outgoing ? "Declined" : null;
    case "busy":
      return outgoing ? "Busy" : null;
    case "missed":
      return outgoing ? "No answer" : null;
    case "lost":
      return "Connection lost";
    case "failed":
      return "Call failed";
    case "cancelled":
    case "answered_elsewhere":
    case "declined_elsewhere":
      return null;
  }
}
