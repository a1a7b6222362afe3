import { signal } from "@preact/signals";
import type {
  GroupCallInfo,
  GroupCallParticipant,
} from "../../../../protocol/index.ts";

/**
 * The stage of this device's group call:
 * - ringing: the call rang here and waits for Join or Decline.
 * - joining: the media opens and the room admits this device.
 * - active: in the call; `problem` describes a media connection that is retrying.
 * - ended: a short closing message (`message`) before the screen goes.
 */
export type GroupCallPhase = "ringing" | "joining" | "active" | "ended";

/** One participant's tile. */
export interface GroupTile {
  participant: GroupCallParticipant;
  /** The participant's pulled tracks, or this device's local ones. */
  stream: MediaStream | null;
  /** The pulled screen share, shown in place of the camera. */
  screenStream: MediaStream | null;
  self: boolean;
}

export interface GroupCallView {
  call: GroupCallInfo;
  phase: GroupCallPhase;
  tiles: GroupTile[];
  muted: boolean;
  cameraOn: boolean;
  sharingScreen: boolean;
  /** Device id of the participant speaking loudest, or null. */
  speakerDeviceId: string | null;
  /** A retrying connection or a device problem, for the person. */
  problem: string | null;
  /** The closing message, such as the server's error for a full call. */
  message: string | null;
  /** The verification code of the call's keys; null until there are keys. */
  securityCode: string | null;
  /** Device ids of participants whose frames have had no key for a while. */
  waitingDevices: string[];
}

/** The group call of this device, or null when there is none. */
export const currentGroupCall = signal<GroupCallView | null>(null);

/** Changes fields of the current group call when it is still `callId`. */
export function updateGroupCall(
  callId: string,
  patch: Partial<GroupCallView>,
): void {
  const current = currentGroupCall.value;
  if (current === null || current.call.callId !== callId) return;
  currentGroupCall.value = { ...current, ...patch };
}

/** Returns whether two streams hold the same tracks (by track id). */
export function sameTracks(a: MediaStream | null, b: MediaStream | null) {
  if (a === null || b === null) return a === b;
  const ids = a.getTracks().map((track) => track.id);
  const others = b.getTracks().map((track) => track.id);
  return ids.length === others.length && ids.every((id) => others.includes(id));
}
