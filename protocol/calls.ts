import { z } from "zod";
import { chatId, deviceId, timestamp, userId, uuidV7 } from "./ids.ts";

/**
 * One-to-one voice and video calls. Media flows peer to peer over WebRTC;
 * the socket frames below carry the signalling. Every call frame goes
 * from a device to its UserHub, which passes it to the ChatRoom of the
 * call's one-to-one chat. The room keeps the call's state, one call per
 * chat at a time. It checks that the sender is a member of the chat and a
 * party of the call, and relays each frame through the UserHub of the one
 * device that the frame is for. The hub of each party records the call
 * the person is in, so a second call to them ends as "busy".
 *
 * A call goes:
 *
 * 1. The caller's device sends `call.start` with a call id it made.
 *    The room answers `call.state` "calling", then rings every device of
 *    the callee with `call.incoming`. When at least one device got it, the
 *    caller gets `call.state` "ringing". With no device online, the
 *    callee's hub sends a `call` push (protocol/push.ts).
 * 2. A callee device sends `call.accept`. The room answers both parties
 *    with `call.state` "accepted", naming the device at the other end
 *    (`peerDeviceId`) and which end is the polite peer of perfect
 *    negotiation (the callee). The callee's other devices get
 *    `call.ended` with reason "answered_elsewhere" and stop ringing.
 * 3. The two devices exchange `call.signal` (SDP descriptions and ICE
 *    candidates) and `call.media` (microphone and camera on or off) until
 *    one of them sends `call.hangup`.
 * 4. Every end sends `call.ended` to both parties' devices and writes a
 *    `system` message with a `call` event (protocol/models.ts) to the
 *    chat: the call entry of the chat and of the calls tab.
 *
 * Timeouts: a call nobody accepts within CALL_RING_TIMEOUT_MS is
 * "missed". While a call is accepted, each party's device sends
 * `call.ping` every CALL_PING_MS; a party silent for CALL_LOST_TIMEOUT_MS
 * ends the call with reason "lost", so a short drop of the socket does not
 * end it, and a vanished peer does after a bounded time.
 */

/** A call id: a UUIDv7 made by the caller's device. */
export const callId = uuidV7;

/** Milliseconds a callee's devices ring before the call is missed. */
export const CALL_RING_TIMEOUT_MS = 45_000;
/** How often a party's device pings an accepted call, in ms. */
export const CALL_PING_MS = 10_000;
/** An accepted call ends once a party has not pinged for this long, in ms. */
export const CALL_LOST_TIMEOUT_MS = 30_000;
/** Longest SDP description accepted, in characters. */
export const MAX_SDP_CHARS = 32 * 1024;
/** Longest ICE candidate line accepted, in characters. */
export const MAX_CANDIDATE_CHARS = 1024;

/**
 * How a call ended, as its call entry shows it:
 * - completed: it was accepted; `durationMs` runs from the accept.
 * - missed: nobody accepted within CALL_RING_TIMEOUT_MS, or the callee's
 *   account was deleted while the call rang.
 * - declined: the callee declined.
 * - busy: the callee was already in a call.
 * - cancelled: the caller hung up before anyone accepted, or deleted
 *   their account.
 * - failed: a device hung up with reason "failed" because the media never
 *   connected or broke. The server never ends a call as failed by itself:
 *   a callee that no device or push reaches ends as missed.
 */
export const CallOutcome = z.enum([
  "completed",
  "missed",
  "declined",
  "busy",
  "cancelled",
  "failed",
]);
export type CallOutcome = z.infer<typeof CallOutcome>;

/**
 * Why a call ended, for the devices that were in it or ringing:
 * - hangup: a party hung up an accepted call or deleted their account.
 * - declined / cancelled / missed / busy: as the outcomes.
 * - answered_elsewhere / declined_elsewhere: another device of this
 *   person accepted or declined; this device stops ringing. The frame of
 *   answered_elsewhere carries outcome "completed" and durationMs 0,
 *   because the call goes on.
 * - lost: a party stopped pinging (CALL_LOST_TIMEOUT_MS). The outcome is
 *   "completed", and the duration runs to the moment the server ended the
 *   call, as the other party saw it, not to the silent party's last ping.
 * - failed: the media never connected, or a device reported an error.
 */
export const CallEndReason = z.enum([
  "hangup",
  "declined",
  "cancelled",
  "missed",
  "busy",
  "answered_elsewhere",
  "declined_elsewhere",
  "lost",
  "failed",
]);
export type CallEndReason = z.infer<typeof CallEndReason>;

/** The description of a call that the devices of both parties share. */
export const CallInfo = z.object({
  callId,
  chatId,
  callerId: userId,
  callerDeviceId: deviceId,
  calleeId: userId,
  /** True for a video call; a voice call can turn video on later. */
  video: z.boolean(),
  /** Server time of `call.start`. */
  startedAt: timestamp,
});
export type CallInfo = z.infer<typeof CallInfo>;

/** An SDP offer or answer, as `RTCSessionDescriptionInit`. */
export const CallDescription = z.object({
  type: z.enum(["offer", "answer"]),
  sdp: z
    .string()
    .min(1, "must not be empty")
    .max(MAX_SDP_CHARS, `must be at most ${MAX_SDP_CHARS} characters`),
});
export type CallDescription = z.infer<typeof CallDescription>;

/**
 * An ICE candidate, as `RTCIceCandidateInit`. An empty `candidate`
 * string marks the end of a generation of candidates.
 */
export const CallCandidate = z.object({
  candidate: z
    .string()
    .max(
      MAX_CANDIDATE_CHARS,
      `must be at most ${MAX_CANDIDATE_CHARS} characters`,
    ),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});
export type CallCandidate = z.infer<typeof CallCandidate>;

/** One negotiation message between the two devices of a call. */
export const CallSignal = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("description"), description: CallDescription }),
  z.object({ kind: z.literal("candidate"), candidate: CallCandidate }),
]);
export type CallSignal = z.infer<typeof CallSignal>;

/** Optional request id; an `error` reply to that frame carries it back. */
const rid = z.string().max(64).optional();

// ---- client → server -------------------------------------------------------

/**
 * Calls the other person of a one-to-one chat. Errors come as `error`
 * frames with `rid`. A chat not in this person's chat list gets
 * `not_found`, and a group chat `invalid_request`. This person already in
 * a call, a call already going on in the chat, or a call id already used
 * in it gets `conflict`. A block either way gets `forbidden`, and more than
 * CALL_START_BURST starts at once or CALL_STARTS_PER_MINUTE sustained
 * from one device (`rate_limited`, with `retryAfter`). Resending the live
 * call's `call.start` is harmless, but it counts against the rate.
 */
export const CallStartFrame = z.object({
  type: z.literal("call.start"),
  rid,
  callId,
  chatId,
  video: z.boolean(),
});

/** The callee accepts on this device. */
export const CallAcceptFrame = z.object({
  type: z.literal("call.accept"),
  rid,
  callId,
});

/** The callee declines, on every device. */
export const CallDeclineFrame = z.object({
  type: z.literal("call.decline"),
  rid,
  callId,
});

/**
 * Either party ends the call: the caller's hang-up before an accept
 * cancels it, and the callee's declines it. After an accept only the two
 * devices of the call may hang up. `reason` "failed" reports that the
 * media never connected. A hang-up of a call that already ended is
 * ignored without a reply.
 */
export const CallHangupFrame = z.object({
  type: z.literal("call.hangup"),
  rid,
  callId,
  reason: z.enum(["hangup", "failed"]).optional(),
});

/** Negotiation for the device at the other end of an accepted call. */
export const CallSignalFrame = z.object({
  type: z.literal("call.signal"),
  callId,
  signal: CallSignal,
});

/** This party's microphone and camera state, for the other end. */
export const CallMediaFrame = z.object({
  type: z.literal("call.media"),
  callId,
  audio: z.boolean(),
  video: z.boolean(),
});

/**
 * This party's device is still in the accepted call. A live call gets no
 * reply. A call that is over for this device, for instance one that ended
 * while it was offline, gets an `error` frame with the `rid`: `not_found`.
 */
export const CallPingFrame = z.object({
  type: z.literal("call.ping"),
  rid,
  callId,
});

export const CallClientFrames = [
  CallStartFrame,
  CallAcceptFrame,
  CallDeclineFrame,
  CallHangupFrame,
  CallSignalFrame,
  CallMediaFrame,
  CallPingFrame,
] as const;

// ---- server → client -------------------------------------------------------

/** Rings a device of the callee. */
export const CallIncomingFrame = z.object({
  type: z.literal("call.incoming"),
  call: CallInfo,
});

/**
 * Progress of a call, to its parties:
 * - calling: the room took the call; no device of the callee rings yet.
 * - ringing: at least one device of the callee rings. With no device
 *   connected the callee gets a `call` push, and "ringing" follows once
 *   a device connects or syncs and gets `call.incoming`.
 * - accepted: `peerDeviceId` names the device at the other end and
 *   `polite` tells whether this end yields in perfect negotiation (the
 *   callee's device does, the caller's does not). Sent to the two
 *   devices of the call.
 */
export const CallStateFrame = z.object({
  type: z.literal("call.state"),
  call: CallInfo,
  state: z.enum(["calling", "ringing", "accepted"]),
  peerDeviceId: deviceId.optional(),
  polite: z.boolean().optional(),
  /** Server time of the accept, for the duration shown on both ends. */
  acceptedAt: timestamp.optional(),
});

/** Negotiation from the device at the other end. */
export const CallSignalRelayFrame = z.object({
  type: z.literal("call.signal"),
  callId,
  fromDeviceId: deviceId,
  signal: CallSignal,
});

/** The other party's microphone and camera state. */
export const CallMediaRelayFrame = z.object({
  type: z.literal("call.media"),
  callId,
  userId,
  audio: z.boolean(),
  video: z.boolean(),
});

/** The call ended, or ended for this device. */
export const CallEndedFrame = z.object({
  type: z.literal("call.ended"),
  callId,
  chatId,
  reason: CallEndReason,
  outcome: CallOutcome,
  /** From the accept to the end; 0 when never accepted. */
  durationMs: z.number().int().nonnegative(),
});

export const CallServerFrames = [
  CallIncomingFrame,
  CallStateFrame,
  CallSignalRelayFrame,
  CallMediaRelayFrame,
  CallEndedFrame,
] as const;

/**
 * The body of a `system` message with event "call": the call entry of a
 * chat, written by the ChatRoom when the call ends.
 */
export const CallEvent = z.object({
  event: z.literal("call"),
  callId,
  callerId: userId,
  video: z.boolean(),
  outcome: CallOutcome,
  durationMs: z.number().int().nonnegative(),
  startedAt: timestamp,
});
export type CallEvent = z.infer<typeof CallEvent>;

// ---- HTTP --------------------------------------------------------------------

/**
 * GET /api/calls/ice-servers: the ICE servers for a call, as
 * `RTCIceServer` objects. STUN URLs come from configuration; TURN comes
 * from Cloudflare's TURN service, whose key the Worker holds, as
 * credentials valid for `ttlSeconds`. Without configuration the list is
 * empty, which works on loopback and a local network. When the TURN
 * service fails, the reply has the STUN URLs only and a `ttlSeconds` of
 * 60, so the client asks again soon.
 */
export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

export const IceServersResponse = z.object({
  iceServers: z.array(IceServer),
  ttlSeconds: z.number().int().nonnegative(),
});
export type IceServersResponse = z.infer<typeof IceServersResponse>;

/**
 * POST /api/calls/:callId/decline: declines from a notification's
 * Decline button, where no socket is open. 204, or 404 when the call is
 * not ringing this person.
 */
export const CALL_DECLINE_PATH = "/api/calls/:callId/decline";
