import { ApiError, type ClientFrame } from "../../protocol/index.ts";
import { chatRoom } from "../../worker/env.ts";
import { unwrap } from "../../worker/result.ts";
import type { FrameContext } from "./frames.ts";

type FrameOf<K extends ClientFrame["type"]> = Extract<ClientFrame, { type: K }>;

const NO_CALL =
  "This call is not ringing or going on for you; it may have ended.";

/** Returns the room of a call this person is in, or throws "not_found". */
function roomOfCall(context: FrameContext, callId: string) {
  const chatId = context.calls.chatOf(callId);
  if (chatId === undefined) throw new ApiError("not_found", NO_CALL, "callId");
  return chatRoom(context.env, chatId);
}

function caller(context: FrameContext) {
  return { userId: context.userId, deviceId: context.deviceId };
}

/**
 * Starts a call: takes a token of the device's call start budget
 * (CALL_STARTS_PER_MINUTE), records the call as this person's current
 * call, has the room store it, replies "calling", then has the room ring
 * the callee.
 */
export async function handleCallStart(
  context: FrameContext,
  frame: FrameOf<"call.start">,
) {
  context.calls.takeStartToken(context.deviceId);
  const chat = context.store.chat(frame.chatId);
  if (chat === undefined || chat.left) {
    throw new ApiError("not_found", "This chat does not exist.", "chatId");
  }
  const busy =
    (await context.calls.otherLiveCall(frame.callId)) ??
    // Another start may have recorded a call during the await above.
    context.calls.otherRecordedCall(frame.callId);
  if (busy !== undefined) {
    throw new ApiError("conflict", "You are already in a call; end it first.");
  }
  context.calls.beginOutgoing(frame.callId, frame.chatId);
  const room = chatRoom(context.env, frame.chatId);
  const started = await room.callStart(
    caller(context),
    frame.callId,
    frame.video,
  );
  if (!started.ok) context.calls.abandon(frame.callId);
  const call = unwrap(started);
  context.reply({ type: "call.state", call, state: "calling" });
  await room.callRing(frame.callId);
}

export async function handleCallAccept(
  context: FrameContext,
  frame: FrameOf<"call.accept">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.callAccept(caller(context), frame.callId));
}

export async function handleCallDecline(
  context: FrameContext,
  frame: FrameOf<"call.decline">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.callDecline(caller(context), frame.callId));
}

/** Ends a call; a call that already ended for this person is ignored. */
export async function handleCallHangup(
  context: FrameContext,
  frame: FrameOf<"call.hangup">,
) {
  const chatId = context.calls.chatOf(frame.callId);
  if (chatId === undefined) return;
  const room = chatRoom(context.env, chatId);
  const reason = frame.reason ?? "hangup";
  unwrap(await room.callHangup(caller(context), frame.callId, reason));
}

/** Passes `call.signal`, `call.media` or `call.ping` to the call's room. */
export async function handleCallPeerFrame(
  context: FrameContext,
  frame: FrameOf<"call.signal" | "call.media" | "call.ping">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.callRelay(caller(context), frame));
}
