import type {
  GroupCallInfo,
  GroupCallParticipant,
} from "../../../../protocol/index.ts";
import {
  JOINED_GROUP_CALL_KEY,
  type GroupCallFrame,
} from "../../data/call-frames.ts";
import { db } from "../../data/db.ts";

/**
 * The chat row's "Call in progress" state from group call frames, and the
 * call this tab takes part in, kept in sessionStorage across a reload.
 */

/** The call that this tab takes part in. */
export interface JoinedGroupCall {
  chatId: string;
  callId: string;
  video: boolean;
}

/** Returns the call this tab took part in before a reload, if any. */
export function joinedGroupCall(): JoinedGroupCall | null {
  try {
    const text = sessionStorage.getItem(JOINED_GROUP_CALL_KEY);
    return text === null ? null : (JSON.parse(text) as JoinedGroupCall);
  } catch {
    return null;
  }
}

/** Returns the chat list's summary of a running call. */
function summaryOf(call: GroupCallInfo) {
  return {
    callId: call.callId,
    video: call.video,
    participants: call.participants.length,
  };
}

/** Stores the group's running call, or its end, in the chat row. */
export async function storeChatCall(
  frame: Extract<
    GroupCallFrame,
    { type: "groupcall.state" | "groupcall.ring" | "groupcall.ended" }
  >,
): Promise<void> {
  if (frame.type === "groupcall.ended") {
    await db.chats
      .where("id")
      .equals(frame.chatId)
      .modify((chat) => {
        if (chat.groupCall?.callId === frame.callId) chat.groupCall = null;
      });
    return;
  }
  await db.chats.update(frame.call.chatId, {
    groupCall: summaryOf(frame.call),
  });
}

/** Returns whether `participants` include the device `deviceId`. */
export function includesDevice(
  participants: GroupCallParticipant[],
  deviceId: string,
): boolean {
  return participants.some((participant) => participant.deviceId === deviceId);
}
