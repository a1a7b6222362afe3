import { signal } from "@preact/signals";
import type { CallInfo } from "../../../protocol/index.ts";
import type { Quality } from "./quality.ts";

/**
 * The stage of a call, as its screen shows it:
 * - outgoing: this device called and waits ("Calling…", then "Ringing…").
 * - incoming: this device rings.
 * - connecting: accepted, the media is not connected yet.
 * - active: the media connected; `reconnecting` marks a drop.
 * - ended: a short closing state (`endText`) before the screen goes.
 */
export type CallPhase =
  "outgoing" | "incoming" | "connecting" | "active" | "ended";

/** The call of this device, as the call screen renders it. */
export interface CallView {
  info: CallInfo;
  /** True on the caller's device. */
  outgoing: boolean;
  /** The other person. */
  peerId: string;
  phase: CallPhase;
  /** Of an outgoing call before the accept. */
  progress: "calling" | "ringing";
  /** Server time of the accept, for the duration timer. */
  acceptedAt: number | null;
  localStream: MediaStream | null;
  remoteStream: MediaStream | null;
  /**
   * The verification code of the call's keys, the same on both screens;
   * null until this device has keys.
   */
  securityCode: string | null;
  /** The other end's frames have had no key for a while. */
  waitingForKeys: boolean;
  /** The microphone is off: no audio leaves this device. */
  muted: boolean;
  /** The camera runs and its video goes out. */
  cameraOn: boolean;
  /** The other end's state from `call.media`. */
  remoteAudio: boolean;
  remoteVideo: boolean;
  /** Video input devices, for "Switch camera". */
  cameraCount: number;
  /** Audio outputs when the browser can choose one (`setSinkId`). */
  speakers: MediaDeviceInfo[];
  /** The chosen audio output; "" is the system default. */
  speakerId: string;
  quality: Quality;
  reconnecting: boolean;
  /** A problem with the microphone or camera, for the person. */
  mediaProblem: string | null;
  /** The closing text, such as "Call ended 02:31" or "Declined". */
  endText: string | null;
}

/** The call of this device, or null when there is none. */
export const currentCall = signal<CallView | null>(null);

/** Changes fields of the current call when it is still `callId`. */
export function updateCall(callId: string, patch: Partial<CallView>): void {
  const current = currentCall.value;
  if (current === null || current.info.callId !== callId) return;
  currentCall.value = { ...current, ...patch };
}
