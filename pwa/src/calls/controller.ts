import { newId } from "../data/uuid.ts";
import {
  CALL_RING_TIMEOUT_MS,
  type CallInfo,
  type ClientFrame,
} from "../../../protocol/index.ts";
import { db } from "../data/db.ts";
import { log } from "../data/log.ts";
import { session } from "../data/state.ts";
import { failRequest, newRid, request, sendFrame } from "../data/wire.ts";
import {
  activeCall,
  finishCall,
  initialView,
  setActiveCall,
  showLocalStream,
  type ActiveCall,
} from "./active.ts";
import { elapsedText } from "./clock.ts";
import { refreshDevices } from "./controls.ts";
import { iceServers } from "./ice.ts";
import { MediaProblem, openMedia, type OpenedMedia } from "./media.ts";
import { transformApi } from "./e2ee/frame-encryption.ts";
import { currentCall, updateCall } from "./state.ts";

/** Shown where the browser cannot encrypt call media. */
const NO_ENCRYPTION_TEXT =
  "This browser cannot encrypt calls end to end, so calls are off. Use a current Chrome, Edge, Firefox or Safari.";

/**
 * The life of a call on this device up to the accept: calling, ringing,
 * accepting, declining and hanging up. What follows the accept is in
 * connect.ts.
 */

/** How long to wait for an error reply to `call.start`, in ms. */
const START_REPLY_MS = CALL_RING_TIMEOUT_MS + 15_000;

function newActiveCall(info: CallInfo, outgoing: boolean): ActiveCall {
  return {
    info,
    outgoing,
    stream: new MediaStream(),
    link: null,
    encryption: null,
    keyring: null,
    audioSender: null,
    videoSender: null,
    pendingSignals: [],
    iceServers: iceServers(),
    rid: null,
    samples: [],
    timers: [],
    ended: false,
  };
}

function adoptMedia(call: ActiveCall, media: OpenedMedia): void {
  call.stream = media.stream;
  showLocalStream(call);
  updateCall(call.info.callId, { mediaProblem: media.cameraProblem });
  void refreshDevices(call);
}

function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

function problemText(error: unknown): string {
  return error instanceof MediaProblem
    ? error.message
    : `The call could not start (${String(error)}).`;
}

/**
 * Sends a frame that may get an `error` reply with its rid, and ends the
 * call with that error's message. The reply to a frame that worked is a
 * `call.state` frame without the rid, which clears the wait
 * (`clearRequest`).
 */
async function sendExpectingState(
  call: ActiveCall,
  frame: Extract<ClientFrame, { type: "call.start" | "call.accept" }>,
): Promise<void> {
  const rid = frame.rid ?? newRid();
  call.rid = rid;
  try {
    const reply = await request(rid, { ...frame, rid }, START_REPLY_MS);
    if (reply.type === "error") {
      log("call_rejected", {
        callId: call.info.callId,
        code: reply.error.code,
      });
      finishCall(call, reply.error.message);
    }
  } catch {
    // RequestLost: cleared by the call's progress (then `call.rid` moved
    // on), or lost with the connection before the call got anywhere.
    if (call.rid === rid && !call.ended) {
      log("call_request_lost", { callId: call.info.callId });
      finishCall(call, "No connection. Check your network and try again.");
    }
  }
}

/** Stops waiting for an error reply, because the call moved on. */
export function clearRequest(call: ActiveCall): void {
  const rid = call.rid;
  if (rid === null) return;
  call.rid = null;
  failRequest(rid, "the call moved on");
}

/**
 * Calls the other person of the one-to-one chat `chatId`, with video when
 * `video` is true. Throws an Error with a sentence for the person when the
 * chat cannot be called.
 */
export async function startCall(chatId: string, video: boolean) {
  const me = session.value;
  if (me === null || me === undefined) return;
  if (activeCall() !== null) throw new Error("You are already in a call.");
  const chat = await db.chats.get(chatId);
  const peerId = chat?.peerId ?? null;
  if (chat?.kind !== "direct" || peerId === null || chat.left) {
    throw new Error("Calls work in one-to-one chats only.");
  }
  if (transformApi() === null) throw new Error(NO_ENCRYPTION_TEXT);

  const info: CallInfo = {
    callId: newId(),
    chatId,
    callerId: me.me.id,
    callerDeviceId: me.deviceId,
    calleeId: peerId,
    video,
    startedAt: Date.now(),
  };

  const call = newActiveCall(info, true);
  setActiveCall(call);
  currentCall.value = initialView(info, true, peerId);
  let media: OpenedMedia;
  try {
    media = await openMedia(video);
  } catch (error) {
    finishCall(call, problemText(error));
    return;
  }
  // Cancelled while the browser opened the devices.
  if (call.ended) {
    stopTracks(media.stream);
    return;
  }
  adoptMedia(call, media);

  log("call_start", { callId: info.callId, chatId, video });
  await sendExpectingState(call, {
    type: "call.start",
    callId: info.callId,
    chatId,
    video,
  });
}

/** Rings this device for `info`, unless it is busy with another call. */
export function ring(info: CallInfo): boolean {
  const current = activeCall();
  if (current !== null) {
    if (current.info.callId !== info.callId) {
      log("call_incoming_while_busy", { callId: info.callId });
    }
    return false;
  }
  setActiveCall(newActiveCall(info, false));
  currentCall.value = initialView(info, false, info.callerId);
  return true;
}

/** Accepts the ringing call, with the camera on when `video` is true. */
export async function acceptCall(video: boolean): Promise<void> {
  const call = activeCall();
  if (call === null || call.outgoing) return;
  // A second press while the first accept opens the media does nothing.
  if (currentCall.value?.phase !== "incoming") return;
  const callId = call.info.callId;
  if (transformApi() === null) {
    updateCall(callId, { mediaProblem: NO_ENCRYPTION_TEXT });
    return;
  }
  updateCall(callId, { phase: "connecting", mediaProblem: null });
  let media: OpenedMedia;
  try {
    media = await openMedia(video);
  } catch (error) {
    // The call still rings, so the person can fix it and accept again.
    updateCall(callId, { phase: "incoming", mediaProblem: problemText(error) });
    return;
  }
  // The caller cancelled, or another device answered, meanwhile.
  if (call.ended) {
    stopTracks(media.stream);
    return;
  }
  adoptMedia(call, media);

  log("call_accept", { callId, video });
  await sendExpectingState(call, { type: "call.accept", callId });
}

/** Declines the ringing call, on every device of this person. */
export function declineCall(): void {
  const call = activeCall();
  if (call === null || call.outgoing) return;
  log("call_decline", { callId: call.info.callId });
  // Without a socket the decline is lost and the call rings out as missed.
  sendFrame({ type: "call.decline", callId: call.info.callId });
  finishCall(call, null);
}

/**
 * Hangs up: ends an accepted call, or cancels an outgoing one. The other
 * end learns it from the server's `call.ended`.
 */
export function hangUp(reason: "hangup" | "failed" = "hangup"): void {
  const call = activeCall();
  if (call === null) return;
  if (!call.outgoing && call.link === null && call.rid === null) {
    declineCall();
    return;
  }
  log("call_hangup", { callId: call.info.callId, reason });
  sendHangup(call.info.callId, reason);
  const acceptedAt = currentCall.value?.acceptedAt ?? null;
  const connected = acceptedAt !== null && call.link !== null;
  finishCall(call, connected ? `Call ended ${elapsedText(acceptedAt)}` : null);
}

/** Sends `call.hangup` for `callId`; false when no socket is ready. */
export function sendHangup(
  callId: string,
  reason: "hangup" | "failed",
): boolean {
  return sendFrame({ type: "call.hangup", callId, reason });
}
