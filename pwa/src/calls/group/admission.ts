import type { GroupCallInfo } from "../../../../protocol/index.ts";
import { log } from "../../data/log.ts";
import { myDeviceId, rememberCall, type ActiveGroupCall } from "./active.ts";
import { connectMedia } from "./connect.ts";
import { includesDevice } from "./frames.ts";
import { currentGroupCall } from "./state.ts";

/**
 * This device's handling of an admission that differs from its request:
 * another call id, or a new place after the room dropped it.
 */

/**
 * Takes the id of the call that the room admitted this device to, when it
 * differs from the one this device requested. That happens when two
 * members start a call at once, because the room joins the later one to
 * the call already running. Returns whether it took the new id, after
 * which the call's keys must be derived again: they depend on the call id.
 */
export function adoptRunningCall(
  call: ActiveGroupCall,
  info: GroupCallInfo,
): boolean {
  if (call.admitted || call.callId === info.callId) return false;
  if (call.chatId !== info.chatId) return false;
  if (!includesDevice(info.participants, myDeviceId())) return false;
  log("group_call_adopted", { asked: call.callId, callId: info.callId });
  call.callId = info.callId;
  rememberCall(call, info.video);
  const view = currentGroupCall.value;
  if (view !== null && view.call.chatId === info.chatId) {
    currentGroupCall.value = { ...view, call: info };
  }
  return true;
}

/**
 * Opens a new SFU session when the room admitted this device as a new
 * participant after dropping it (its join time changed): the room forgot
 * the old session, so it rejects that session's requests and announces.
 */
export function reconnectIfReadmitted(call: ActiveGroupCall, joinedAt: number) {
  const dropped = call.joinedAt !== null && call.joinedAt !== joinedAt;
  call.joinedAt = joinedAt;
  if (!dropped || call.session === null) return;
  log("group_call_readmitted", { callId: call.callId });
  void connectMedia(call);
}
