import { render } from "preact";
import { activeCall } from "../../calls/active.ts";
import { networkReturned } from "../../calls/controls.ts";
import { sendHangup } from "../../calls/controller.ts";
import { CallOverlay } from "./CallOverlay.tsx";

/**
 * The call engine with its screen, loaded on the first call frame or call
 * button (see data/call-frames.ts). Loading it mounts the call screen over
 * the app.
 */

export { startCall } from "../../calls/controller.ts";
export { answerWhenRinging, handleCallFrame } from "../../calls/frames.ts";

function mountCallScreen(): void {
  const root = document.createElement("div");
  root.id = "call-root";
  document.body.append(root);
  render(<CallOverlay />, root);
}

/**
 * Leaving the page (reload, close) ends the call, so the other end does
 * not wait for CALL_LOST_TIMEOUT_MS. A ringing call keeps ringing on the
 * person's other devices.
 */
function hangUpOnLeave(): void {
  const call = activeCall();
  if (call === null) return;
  if (call.outgoing || call.link !== null) {
    sendHangup(call.info.callId, "hangup");
  }
}

mountCallScreen();
window.addEventListener("pagehide", hangUpOnLeave);
window.addEventListener("online", networkReturned);
