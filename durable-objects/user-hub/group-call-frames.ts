import { ApiError, type ClientFrame } from "../../protocol/index.ts";
import { chatRoom } from "../../worker/env.ts";
import { unwrap } from "../../worker/result.ts";
import { summaryOf } from "../chat-room/group-call-fanout.ts";
import type { FrameContext } from "./frames.ts";

type FrameOf<K extends ClientFrame["type"]> = Extract<ClientFrame, { type: K }>;

const NO_CALL =
  "This group call is not running in any of your chats; it may have ended.";

function device(context: FrameContext) {
  return { userId: context.userId, deviceId: context.deviceId };
}

/**
 * Returns the room of the chat whose running call is `callId`, as the
 * chat list has it, or throws "not_found".
 */
function roomOfCall(context: FrameContext, callId: string) {
  const chatId = context.store.chatOfGroupCall(callId);
  if (chatId === undefined) throw new ApiError("not_found", NO_CALL, "callId");
  return chatRoom(context.env, chatId);
}

/**
 * Starts or joins the chat's group call and replies with its state. The
 * chat list row gets the call at once, so this device's next frames for
 * the call find its chat even before the room's broadcast arrives. Each
 * join takes a token of the device's call start budget, because a join
 * that starts the call rings every member.
 */
export async function handleGroupCallJoin(
  context: FrameContext,
  frame: FrameOf<"groupcall.join">,
) {
  context.calls.takeStartToken(context.deviceId);
  const chat = context.store.chat(frame.chatId);
  if (chat === undefined || chat.left) {
    throw new ApiError("not_found", "This chat does not exist.", "chatId");
  }
  const room = chatRoom(context.env, frame.chatId);
  const call = unwrap(
    await room.groupCallJoin(
      device(context),
      frame.callId,
      frame.video,
      frame.callKey,
    ),
  );
  context.store.setGroupCall(frame.chatId, summaryOf(call));
  context.reply({ type: "groupcall.state", call });
}

/** Leaves a group call. A call that already ended is ignored. */
export async function handleGroupCallLeave(
  context: FrameContext,
  frame: FrameOf<"groupcall.leave">,
) {
  const chatId = context.store.chatOfGroupCall(frame.callId);
  if (chatId === undefined) return;
  await chatRoom(context.env, chatId).groupCallLeave(
    device(context),
    frame.callId,
  );
}

export async function handleGroupCallDecline(
  context: FrameContext,
  frame: FrameOf<"groupcall.decline">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.groupCallDecline(context.userId, frame.callId));
}

export async function handleGroupCallUpdate(
  context: FrameContext,
  frame: FrameOf<"groupcall.update">,
) {
  const room = roomOfCall(context, frame.callId);
  const { sessionId, tracks, audio, video, screen } = frame;
  unwrap(
    await room.groupCallUpdate(device(context), frame.callId, {
      sessionId,
      tracks,
      audio,
      video,
      screen,
    }),
  );
}

export async function handleGroupCallPing(
  context: FrameContext,
  frame: FrameOf<"groupcall.ping">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.groupCallPing(device(context), frame.callId));
}

/** Passes `groupcall.key` or `groupcall.key.request` to the call's room. */
export async function handleGroupCallKey(
  context: FrameContext,
  frame: FrameOf<"groupcall.key" | "groupcall.key.request">,
) {
  const room = roomOfCall(context, frame.callId);
  unwrap(await room.groupCallKey(device(context), frame));
}
