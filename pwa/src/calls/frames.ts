import type { CallFrame } from "../data/call-frames.ts";
import { log } from "../data/log.ts";
import {
  activeCallWithId,
  endTextOf,
  finishCall,
  hasEnded,
  type ActiveCall,
} from "./active.ts";
import { connectCall, receiveSignal } from "./connect.ts";
import { acceptCall, clearRequest, ring, sendHangup } from "./controller.ts";
import { updateCall } from "./state.ts";

/** The call that a notification's Answer opened the app for (`?call=`). */
let answerCallId: string | null = null;

/** Calls that this device hung up as unknown, so each is hung up once. */
const strayCalls = new Set<string>();

/**
 * Accepts the call `callId` when it rings on this device, or at once when
 * it already rings. The app opens with `?call=` from a notification's
 * Answer, usually before the socket brings the call.
 */
export function answerWhenRinging(callId: string): void {
  const call = activeCallWithId(callId);
  if (call === null) {
    answerCallId = callId;
    return;
  }
  answerCallId = null;
  void acceptCall(call.info.video);
}

/**
 * Hangs up a call that this device takes part in but does not know, such
 * as one it was in before a reload: the other end stops waiting at once.
 */
function hangUpStray(callId: string): void {
  if (strayCalls.has(callId) || hasEnded(callId)) return;
  strayCalls.add(callId);
  log("call_stray_hangup", { callId });
  sendHangup(callId, "failed");
}

/** Applies a call frame from the server to the call of this device. */
export async function handleCallFrame(frame: CallFrame): Promise<void> {
  switch (frame.type) {
    case "call.incoming": {
      const callId = frame.call.callId;
      // The server rings again on every `ready` and `sync` while the call
      // rings, also after this device declined it.
      if (hasEnded(callId)) return;
      if (ring(frame.call) && answerCallId === callId) {
        answerCallId = null;
        await acceptCall(frame.call.video);
      }
      return;
    }
    case "call.state": {
      const call = activeCallWithId(frame.call.callId);
      if (call === null) {
        if (frame.state === "accepted") hangUpStray(frame.call.callId);
        return;
      }
      await applyState(call, frame);
      return;
    }
    case "call.signal": {
      const call = activeCallWithId(frame.callId);
      if (call === null) hangUpStray(frame.callId);
      else await receiveSignal(call, frame.signal);
      return;
    }
    case "call.media":
      updateCall(frame.callId, {
        remoteAudio: frame.audio,
        remoteVideo: frame.video,
      });
      return;
    case "call.ended": {
      const call = activeCallWithId(frame.callId);
      if (call === null) return;
      log("call_ended", { callId: frame.callId, reason: frame.reason });
      finishCall(
        call,
        endTextOf(frame.reason, frame.outcome, frame.durationMs, call.outgoing),
      );
      return;
    }
  }
}

async function applyState(
  call: ActiveCall,
  frame: Extract<CallFrame, { type: "call.state" }>,
): Promise<void> {
  if (frame.state === "accepted") {
    await connectCall(call, frame);
    return;
  }
  // "calling" or "ringing": the server took the call.
  clearRequest(call);
  updateCall(call.info.callId, { progress: frame.state, info: frame.call });
}
