import { z } from "zod";
import { callId } from "./calls.ts";
import { chatId, deviceId, timestamp, userId } from "./ids.ts";

/**
 * Group voice and video calls through an SFU (Cloudflare's Realtime SFU in
 * production, the local stand-in of dev/sfu in development and tests).
 * Each participant's device opens one SFU session, publishes its tracks
 * once and pulls every other participant's tracks. The browser reaches the
 * SFU only through the Worker's proxy routes below, which hold the SFU app
 * secret, check that the caller is a participant of the chat's call and
 * owns the session, and pull only tracks of sessions in the same call.
 *
 * The ChatRoom of the group keeps the call's state (one call per chat):
 * participants, each with its device, SFU session id, published track
 * names and mute and camera state. Every change reaches every member's
 * devices as `groupcall.state` through their hubs, so the chat and the
 * chat list can show "Call in progress — Join". A device sends
 * `groupcall.ping` every GROUP_CALL_PING_MS; after
 * GROUP_CALL_RECONNECTING_MS of silence the others see it as reconnecting,
 * and after GROUP_CALL_DROP_MS it is removed. A device that rejoins the
 * same call (after a reload or a network drop) keeps its place: it is
 * never shown as leaving and joining. The call ends when the last
 * participant leaves; the room then writes a `system` message with a
 * `group_call` event (GroupCallEvent) to the chat.
 */

/** Maximum number of participants in one group call. */
export const MAX_GROUP_CALL_PARTICIPANTS = 32;
/** How often a participant's device pings its call. */
export const GROUP_CALL_PING_MS = 10_000;
/** A participant silent this long shows as reconnecting. */
export const GROUP_CALL_RECONNECTING_MS = 15_000;
/** A participant silent this long is removed from the call. */
export const GROUP_CALL_DROP_MS = 30_000;
/** Online members' devices ring this long after a call starts. */
export const GROUP_CALL_RING_MS = 45_000;

/** Name of a published track: what pullers ask the SFU for. */
export const trackName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -");

export const GroupCallTrack = z.object({
  trackName,
  kind: z.enum(["audio", "video", "screen"]),
});
export type GroupCallTrack = z.infer<typeof GroupCallTrack>;

const base64url = (max: number) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

/**
 * A device's ECDH P-256 public key for one group call (uncompressed point,
 * base64url), and its MLS signature (SignWithLabel, label
 * CALL_PUBLIC_KEY_LABEL, over JSON `[chatId, deviceId, publicKey]`) by the
 * device's leaf key in the chat's ratchet tree. The server cannot forge
 * it, so it cannot put its own key in place of a participant's.
 */
export const CallPublicKey = z.object({
  publicKey: base64url(100),
  signature: base64url(200),
});
export type CallPublicKey = z.infer<typeof CallPublicKey>;

/** MLS signature label of a CallPublicKey. */
export const CALL_PUBLIC_KEY_LABEL = "messenger call public key";

/** Largest SFrame KID of a group call's key, 2^48 - 1. */
export const MAX_CALL_KID = 2 ** 48 - 1;

/** One device in a group call, as every member sees it. */
export const GroupCallParticipant = z.object({
  userId,
  deviceId,
  /** SFU session of the device; null until its session exists. */
  sessionId: z.string().max(128).nullable(),
  tracks: z.array(GroupCallTrack).max(8),
  audio: z.boolean(),
  video: z.boolean(),
  screen: z.boolean(),
  joinedAt: timestamp,
  /** Silent for GROUP_CALL_RECONNECTING_MS; removed at GROUP_CALL_DROP_MS. */
  reconnecting: z.boolean(),
  /** The key that others seal their media keys to; null when not sent. */
  callKey: CallPublicKey.nullable().default(null),
});
export type GroupCallParticipant = z.infer<typeof GroupCallParticipant>;

/**
 * The media path of a call: "sfu" through the Worker's SFU proxy below,
 * "realtimekit" through one Cloudflare RealtimeKit meeting per call
 * (protocol/realtimekit.ts). The room fixes it when the call starts.
 */
export const GroupCallProvider = z.enum(["sfu", "realtimekit"]);
export type GroupCallProvider = z.infer<typeof GroupCallProvider>;

export const GroupCallInfo = z.object({
  callId,
  chatId,
  startedBy: userId,
  startedAt: timestamp,
  video: z.boolean(),
  /** Absent in frames of servers older than RealtimeKit support. */
  provider: GroupCallProvider.default("sfu"),
  participants: z.array(GroupCallParticipant).max(MAX_GROUP_CALL_PARTICIPANTS),
});
export type GroupCallInfo = z.infer<typeof GroupCallInfo>;

// ---- client → server -------------------------------------------------------

/**
 * Starts the chat's call (when none runs) or joins the running one. The
 * reply is `groupcall.state` naming this device among the participants,
 * or an `error`: not a member (`not_found`), a one-to-one chat
 * (`invalid_request`), the call full (`conflict`, "call is full"). A
 * device already in the call rejoins in place.
 */
export const GroupCallJoinFrame = z.object({
  type: z.literal("groupcall.join"),
  rid: z.string().max(64).optional(),
  chatId,
  /** Made by the device that starts a call; joiners pass the running one. */
  callId,
  video: z.boolean(),
  /** Replaces the device's key in the call; absent keeps none. */
  callKey: CallPublicKey.optional(),
});

export const GroupCallLeaveFrame = z.object({
  type: z.literal("groupcall.leave"),
  callId,
});

/** Stops this person's devices ringing, without leaving the group. */
export const GroupCallDeclineFrame = z.object({
  type: z.literal("groupcall.decline"),
  callId,
});

/** This device's session, published tracks and mute/camera/screen state. */
export const GroupCallUpdateFrame = z.object({
  type: z.literal("groupcall.update"),
  callId,
  sessionId: z.string().max(128).nullable(),
  tracks: z.array(GroupCallTrack).max(8),
  audio: z.boolean(),
  video: z.boolean(),
  screen: z.boolean(),
});

export const GroupCallPingFrame = z.object({
  type: z.literal("groupcall.ping"),
  callId,
});

/**
 * A media key of this device, sealed to one other participant device:
 * AES-GCM under HKDF of their ECDH shared secret, salted with the call's
 * MLS exporter secret of `epoch`. The room relays it only while both
 * devices are participants of the call.
 */
export const GroupCallKeyFrame = z.object({
  type: z.literal("groupcall.key"),
  callId,
  toDeviceId: deviceId,
  kid: z.number().int().nonnegative().max(MAX_CALL_KID),
  epoch: z.number().int().nonnegative(),
  /** 12-byte IV, then the AES-GCM ciphertext of the 32-byte key. */
  sealed: base64url(128),
});

/** Requests that another participant device resend its media key. */
export const GroupCallKeyRequestFrame = z.object({
  type: z.literal("groupcall.key.request"),
  callId,
  toDeviceId: deviceId,
});

export const GroupCallClientFrames = [
  GroupCallJoinFrame,
  GroupCallLeaveFrame,
  GroupCallDeclineFrame,
  GroupCallUpdateFrame,
  GroupCallPingFrame,
  GroupCallKeyFrame,
  GroupCallKeyRequestFrame,
] as const;

// ---- server → client -------------------------------------------------------

/** The whole state of a chat's running call, sent on every change. */
export const GroupCallStateFrame = z.object({
  type: z.literal("groupcall.state"),
  call: GroupCallInfo,
});

/** Rings a member's device when a call starts. */
export const GroupCallRingFrame = z.object({
  type: z.literal("groupcall.ring"),
  call: GroupCallInfo,
});

/**
 * This person's devices stop ringing for the call: they declined it or
 * joined it on some device, or GROUP_CALL_RING_MS passed.
 */
export const GroupCallRingStoppedFrame = z.object({
  type: z.literal("groupcall.ring.stopped"),
  callId,
  chatId,
});

/** The call ended (the last participant left or was dropped). */
export const GroupCallEndedFrame = z.object({
  type: z.literal("groupcall.ended"),
  callId,
  chatId,
  durationMs: z.number().int().nonnegative(),
});

/** A media key that `fromDeviceId` sealed to this device (GroupCallKeyFrame). */
export const GroupCallKeyRelayedFrame = z.object({
  type: z.literal("groupcall.key"),
  callId,
  fromDeviceId: deviceId,
  kid: z.number().int().nonnegative().max(MAX_CALL_KID),
  epoch: z.number().int().nonnegative(),
  sealed: base64url(128),
});

/** `fromDeviceId` has no key for this device's media: resend it. */
export const GroupCallKeyRequestRelayedFrame = z.object({
  type: z.literal("groupcall.key.request"),
  callId,
  fromDeviceId: deviceId,
});

export const GroupCallServerFrames = [
  GroupCallStateFrame,
  GroupCallRingFrame,
  GroupCallRingStoppedFrame,
  GroupCallEndedFrame,
  GroupCallKeyRelayedFrame,
  GroupCallKeyRequestRelayedFrame,
] as const;

/** Body of the `system` message written when a group call ends. */
export const GroupCallEvent = z.object({
  event: z.literal("group_call"),
  callId,
  startedBy: userId,
  video: z.boolean(),
  startedAt: timestamp,
  durationMs: z.number().int().nonnegative(),
  /** People (not devices) who took part. */
  participantIds: z.array(userId).max(MAX_GROUP_CALL_PARTICIPANTS),
});
export type GroupCallEvent = z.infer<typeof GroupCallEvent>;
