/**
 * The microphone and camera of a call, with errors worded for the person.
 * A call needs the microphone. When only the camera fails, the call goes on
 * as a voice call and shows why.
 */

export type MediaDevice = "microphone" | "camera";

/** A device of the call could not start; `message` is for the person. */
export class MediaProblem extends Error {
  override name = "MediaProblem";
}

function errorName(error: unknown): string {
  return error instanceof Error || error instanceof DOMException
    ? error.name
    : "";
}

/**
 * Returns what went wrong with `device` and what to do, from a
 * `getUserMedia` error.
 */
export function describeMediaError(
  error: unknown,
  device: MediaDevice,
): string {
  const Device = device === "camera" ? "Camera" : "Microphone";
  switch (errorName(error)) {
    case "NotAllowedError":
    case "SecurityError":
      return `${Device} access is blocked. Allow the ${device} for this site in the browser's settings, then try again.`;
    case "NotFoundError":
    case "OverconstrainedError":
      return `No ${device} was found. Connect one, then try again.`;
    case "NotReadableError":
    case "AbortError":
      return `The ${device} could not start. Close other apps that may be using it, then try again.`;
    default:
      return `The ${device} could not start (${errorName(error) || String(error)}).`;
  }
}

/** The local media of a call, and why the camera is off when it failed. */
export interface OpenedMedia {
  stream: MediaStream;
  /** Set when video was requested but the camera failed. */
  cameraProblem: string | null;
}

/**
 * Opens the microphone, and the camera when `video` is true. Throws
 * MediaProblem when the microphone fails; a camera failure leaves a voice
 * stream and `cameraProblem`.
 */
export async function openMedia(video: boolean): Promise<OpenedMedia> {
  const devices = navigator.mediaDevices as MediaDevices | undefined;
  if (devices === undefined) {
    throw new MediaProblem(
      "This browser cannot use a microphone here. Open the app over HTTPS in a current browser.",
    );
  }
  if (video) {
    try {
      const stream = await devices.getUserMedia({ audio: true, video: true });
      return { stream, cameraProblem: null };
    } catch (error) {
      // Try the microphone alone, to learn which device failed.
      const voice = await openMicrophone(devices);
      return {
        stream: voice,
        cameraProblem: describeMediaError(error, "camera"),
      };
    }
  }
  return { stream: await openMicrophone(devices), cameraProblem: null };
}

async function openMicrophone(devices: MediaDevices): Promise<MediaStream> {
  try {
    return await devices.getUserMedia({ audio: true });
  } catch (error) {
    throw new MediaProblem(describeMediaError(error, "microphone"));
  }
}

/**
 * Opens a camera track, of the device `deviceId` when given. Throws
 * MediaProblem with the reason.
 */
export async function openCamera(deviceId?: string): Promise<MediaStreamTrack> {
  const video: MediaTrackConstraints | boolean =
    deviceId === undefined ? true : { deviceId: { exact: deviceId } };
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video });
    const [track] = stream.getVideoTracks();
    if (track === undefined) throw new DOMException("", "NotFoundError");
    return track;
  } catch (error) {
    throw new MediaProblem(describeMediaError(error, "camera"));
  }
}

/** Lists the devices of `kind`; labels are empty before permission. */
export async function listDevices(
  kind: MediaDeviceKind,
): Promise<MediaDeviceInfo[]> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return all.filter((device) => device.kind === kind);
}
