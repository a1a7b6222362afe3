import { log } from "../../data/log.ts";
import { MediaProblem, openCamera } from "../media.ts";
import {
  activeGroupCall,
  sendUpdate,
  type ActiveGroupCall,
  type MeetingControl,
} from "./active.ts";
import { currentGroupCall, updateGroupCall } from "./state.ts";
import { renderTiles } from "./tracks.ts";

/** Mute, camera and screen share of this device's group call. */

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns the microphone off or back on; no audio leaves while muted. */
export function toggleGroupMute(): void {
  const call = activeGroupCall();
  const view = currentGroupCall.value;
  if (call === null || view === null) return;
  const muted = !view.muted;
  for (const track of call.stream.getAudioTracks()) track.enabled = !muted;
  call.meeting?.setMuted(muted).catch((error: unknown) => {
    log("group_call_mute_failed", {
      callId: call.callId,
      error: reason(error),
    });
  });
  updateGroupCall(call.callId, { muted });
  sendUpdate(call);
}

/** Publishes `track` under `name` in the running SFU session. */
async function publishExtra(
  call: ActiveGroupCall,
  track: MediaStreamTrack,
  name: "video" | "screen",
): Promise<void> {
  if (call.session === null) return;
  const [transceiver] = await call.session.publish([
    { track, name: { trackName: name, kind: name } },
  ]);
  if (transceiver !== undefined) {
    call.published.set(name, {
      transceiver,
      track: { trackName: name, kind: name },
    });
  }
}

/**
 * Turns the camera off (the track stays published but sends black frames
 * while disabled) or on, opening and publishing it the first time.
 */
export async function toggleGroupCamera(): Promise<void> {
  const call = activeGroupCall();
  const view = currentGroupCall.value;
  if (call === null || view === null) return;
  const cameraOn = !view.cameraOn;
  let [track] = call.stream.getVideoTracks();
  if (cameraOn && track === undefined) {
    try {
      track = await openCamera();
      call.stream.addTrack(track);
      await publishExtra(call, track, "video");
    } catch (error) {
      updateGroupCall(call.callId, { problem: reason(error) });
      return;
    }
  }
  if (track !== undefined) track.enabled = cameraOn;
  try {
    await call.meeting?.setCamera(cameraOn ? (track ?? null) : null);
  } catch (error) {
    updateGroupCall(call.callId, { problem: reason(error) });
    return;
  }
  updateGroupCall(call.callId, { cameraOn, problem: null });
  renderTiles(call);
  sendUpdate(call);
}

async function stopScreen(call: ActiveGroupCall): Promise<void> {
  const published = call.published.get("screen");
  call.screen?.stop();
  call.screen = null;
  call.published.delete("screen");
  updateGroupCall(call.callId, { sharingScreen: false });
  renderTiles(call);
  sendUpdate(call);
  const mid = published?.transceiver.mid;
  if (call.session !== null && mid !== null && mid !== undefined) {
    await call.session.close([mid]);
  }
}

/**
 * Shares a screen through the RealtimeKit meeting, or stops sharing.
 * The SDK opens the screen picker itself, because enableScreenShare()
 * takes no track.
 */
async function toggleMeetingScreen(
  call: ActiveGroupCall,
  meeting: MeetingControl,
): Promise<void> {
  try {
    call.screen = await meeting.setScreen(call.screen === null);
    updateGroupCall(call.callId, {
      sharingScreen: call.screen !== null,
      problem: null,
    });
    renderTiles(call);
    sendUpdate(call);
  } catch (error) {
    log("group_call_screen_failed", {
      callId: call.callId,
      error: String(error),
    });
    updateGroupCall(call.callId, {
      problem: `Screen sharing failed (${reason(error)}).`,
    });
  }
}

/** Shares a screen or window as an extra track, or stops sharing. */
export async function toggleGroupScreen(): Promise<void> {
  const call = activeGroupCall();
  const view = currentGroupCall.value;
  if (call === null || view === null) return;
  if (call.meeting !== null) {
    await toggleMeetingScreen(call, call.meeting);
    return;
  }
  try {
    if (call.screen !== null) {
      await stopScreen(call);
      return;
    }
    const display = await navigator.mediaDevices.getDisplayMedia({
      video: true,
    });
    const [track] = display.getVideoTracks();
    if (track === undefined) throw new MediaProblem("No screen was chosen.");
    call.screen = track;
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener("ended", () => {
      if (call.screen === track) void stopScreen(call).catch(() => undefined);
    });
    await publishExtra(call, track, "screen");
    updateGroupCall(call.callId, { sharingScreen: true, problem: null });
    renderTiles(call);
    sendUpdate(call);
  } catch (error) {
    log("group_call_screen_failed", {
      callId: call.callId,
      error: String(error),
    });
    updateGroupCall(call.callId, {
      problem: `Screen sharing failed (${reason(error)}).`,
    });
  }
}
