import { render } from "preact";
import { activeCall } from "../../calls/active.ts";
import { networkReturned } from "../../calls/controls.ts";
import { sendHangup } from "../../calls/controller.ts";
import { handleCallFrame as handleOneToOneFrame } from "../../calls/frames.ts";
import { activeGroupCall } from "../../calls/group/active.ts";
import { handleGroupCallFrame } from "../../calls/group/engine.ts";
import { followCallTones } from "../../calls/ringing.ts";
import type { CallFrame, GroupCallFrame } from "../../data/call-frames.ts";
import { CallOverlay } from "./CallOverlay.tsx";
import { GroupCallOverlay } from "./GroupCallScreen.tsx";

/**
 * The call engine with its screen, loaded on the first call frame or call
 * button (see data/call-frames.ts). Loading it mounts the call screen over
 * the app.
 */

export { startCall } from "../../calls/controller.ts";
export { answerWhenRinging } from "../../calls/frames.ts";
export { joinGroupCall } from "../../calls/group/engine.ts";

function isGroupCallFrame(
  frame: CallFrame | GroupCallFrame,
): frame is GroupCallFrame {
  return frame.type === "ready" || frame.type.startsWith("groupcall.");
}

/** Hands a call frame to the one-to-one or the group call engine. */
export function handleCallFrame(
  frame: CallFrame | GroupCallFrame,
): Promise<void> {
  return isGroupCallFrame(frame)
    ? handleGroupCallFrame(frame)
    : handleOneToOneFrame(frame);
}

function mountCallScreen(): void {
  const root = document.createElement("div");
  root.id = "call-root";
  document.body.append(root);
  render(
    <>
      <CallOverlay />
      <GroupCallOverlay />
    </>,
    root,
  );
}

/**
 * Leaving the page (reload, close) ends the call, so the other end does
 * not wait for CALL_LOST_TIMEOUT_MS. A ringing call keeps ringing on the
 * person's other devices. A group call is not left: the room keeps this
 * device's place, and a reload rejoins it.
 */
function hangUpOnLeave(): void {
  if (activeGroupCall() !== null) return;
  const call = activeCall();
  if (call === null) return;
  if (call.outgoing || call.link !== null) {
    sendHangup(call.info.callId, "hangup");
  }
}

mountCallScreen();
followCallTones();
window.addEventListener("pagehide", hangUpOnLeave);
window.addEventListener("online", networkReturned);
