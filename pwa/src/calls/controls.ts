import { log } from "../data/log.ts";
import {
  activeCall,
  sendMediaState,
  showLocalStream,
  type ActiveCall,
} from "./active.ts";
import { listDevices, MediaProblem, openCamera } from "./media.ts";
import { currentCall, updateCall } from "./state.ts";

/**
 * The controls of a call: microphone, camera, camera choice and speaker.
 * Turning the microphone or camera off replaces the sender's track with
 * none, so no packets of it leave the device, rather than sending silence
 * or black frames as `track.enabled = false` would.
 */

/** Returns whether media elements can choose an audio output (`setSinkId`). */
export function canChooseSpeaker(): boolean {
  return "setSinkId" in HTMLMediaElement.prototype;
}

/** Reads the cameras and, where they can be chosen, the audio outputs. */
export async function refreshDevices(call: ActiveCall): Promise<void> {
  try {
    const cameras = await listDevices("videoinput");
    const speakers = canChooseSpeaker() ? await listDevices("audiooutput") : [];
    updateCall(call.info.callId, { cameraCount: cameras.length, speakers });
  } catch (error) {
    log("call_devices_failed", { error: String(error) });
  }
}

function reportProblem(call: ActiveCall, error: unknown): void {
  const text =
    error instanceof MediaProblem ? error.message : `Failed: ${String(error)}`;
  updateCall(call.info.callId, { mediaProblem: text });
}

/** Turns the microphone off or back on. */
export async function toggleMute(): Promise<void> {
  const call = activeCall();
  const view = currentCall.value;
  if (call === null || view === null) return;
  const muted = !view.muted;
  const track = call.stream.getAudioTracks()[0] ?? null;
  if (track !== null) track.enabled = !muted;
  await call.audioSender?.replaceTrack(muted ? null : track);
  updateCall(call.info.callId, { muted });
  sendMediaState(call);
}

/**
 * Turns the camera off (the track stops, so the camera light goes out) or
 * on. Turning it on in a voice call adds a video track, which renegotiates
 * the connection.
 */
export async function toggleCamera(): Promise<void> {
  const call = activeCall();
  if (call === null) return;
  const current = call.stream.getVideoTracks()[0];
  if (current !== undefined) {
    current.stop();
    call.stream.removeTrack(current);
    await call.videoSender?.replaceTrack(null);
  } else {
    try {
      await sendCamera(call, await openCamera());
    } catch (error) {
      reportProblem(call, error);
      return;
    }
  }
  updateCall(call.info.callId, { mediaProblem: null });
  showLocalStream(call);
  sendMediaState(call);
  void refreshDevices(call);
}

/** Sends `track` as this end's video, adding a sender when there is none. */
async function sendCamera(
  call: ActiveCall,
  track: MediaStreamTrack,
): Promise<void> {
  if (call.ended) {
    track.stop();
    return;
  }
  call.stream.addTrack(track);
  if (call.videoSender !== null) {
    await call.videoSender.replaceTrack(track);
  } else if (call.link !== null) {
    call.videoSender = call.link.addTrack(track, call.stream);
  }
}

/** Moves to the next camera, when the device has more than one. */
export async function switchCamera(): Promise<void> {
  const call = activeCall();
  if (call === null) return;
  const current = call.stream.getVideoTracks()[0];
  if (current === undefined) return;
  const cameras = await listDevices("videoinput");
  const index = cameras.findIndex(
    (camera) => camera.deviceId === current.getSettings().deviceId,
  );
  const next = cameras[(index + 1) % cameras.length];
  if (next === undefined || cameras.length < 2) return;
  // Some phones cannot open a second camera while one runs.
  current.stop();
  call.stream.removeTrack(current);
  try {
    await sendCamera(call, await openCamera(next.deviceId));
  } catch (error) {
    reportProblem(call, error);
    await call.videoSender?.replaceTrack(null);
  }
  showLocalStream(call);
  sendMediaState(call);
}

/** Chooses the audio output of the call; "" is the system default. */
export function chooseSpeaker(deviceId: string): void {
  const call = activeCall();
  if (call !== null) updateCall(call.info.callId, { speakerId: deviceId });
}

/** Restarts ICE after the browser came back online. */
export function networkReturned(): void {
  activeCall()?.link?.restartIce();
}
