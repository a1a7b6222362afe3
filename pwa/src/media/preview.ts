import type { OutgoingFile } from "./index.ts";
import { MAX_PREVIEW_CHARS } from "./schema.ts";
import type { MediaItem } from "./types.ts";

/** Longer side of a preview, in pixels (MediaItem.preview). */
export const PREVIEW_EDGE = 64;
/** JPEG quality of a preview: it is shown blurred, so detail is wasted. */
const PREVIEW_QUALITY = 0.6;
/**
 * Largest image decoded for its preview, in bytes. Decoding a bigger one
 * could take the memory of a phone, so it is sent as a document instead.
 */
const MAX_DECODED_IMAGE_BYTES = 64 * 1024 * 1024;
/** Time a <video> or <audio> element gets to load a file's first frame. */
const MEDIA_LOAD_TIMEOUT_MS = 10_000;

export type FileDescription = Omit<OutgoingFile, "caption">;

/**
 * Describes a chosen file for sending: its kind from the MIME type, and
 * for images and videos the pixel size, the duration and a preview of at
 * most PREVIEW_EDGE pixels. A file the browser cannot decode becomes a
 * document (kind "file") and keeps its name and type, so no content makes
 * this throw.
 */
export async function describeFile(
  file: File | Blob,
  name?: string,
): Promise<FileDescription> {
  const fileName = name ?? (file instanceof File ? file.name : "");
  const base: FileDescription = {
    file,
    name: fileName,
    mime: file.type,
    kind: "file",
  };
  const family = file.type.split("/")[0];
  // Phones may label a camera photo with an empty type, so an untyped
  // file gets a try as an image too.
  if (family === "image" || file.type === "") {
    return { ...base, ...(await describeImage(file)) };
  }
  if (family === "video") return { ...base, ...(await describeVideo(file)) };
  if (family === "audio") return { ...base, ...(await describeAudio(file)) };
  return base;
}

type Measured = Partial<FileDescription> & { kind: MediaItem["kind"] };

async function describeImage(file: Blob): Promise<Measured> {
  if (file.size === 0 || file.size > MAX_DECODED_IMAGE_BYTES) {
    return { kind: "file" };
  }
  let image: ImageBitmap;
  try {
    image = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return { kind: "file" };
  }
  try {
    const measured: Measured = {
      kind: "image",
      width: image.width,
      height: image.height,
    };
    const preview = drawPreview(image, image.width, image.height);
    if (preview !== null) measured.preview = preview;
    return measured;
  } finally {
    image.close();
  }
}

async function describeVideo(file: Blob): Promise<Measured> {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  video.playsInline = true;
  try {
    video.src = url;
    const loaded = await waitForMedia(video, "loadeddata");
    if (!loaded && Number.isNaN(video.duration)) return { kind: "file" };
    const measured: Measured = { kind: "video" };
    const duration = await durationOf(video);
    if (duration !== undefined) measured.duration = duration;
    if (video.videoWidth > 0 && video.videoHeight > 0) {
      measured.width = video.videoWidth;
      measured.height = video.videoHeight;
    }
    if (loaded) {
      const preview = drawPreview(video, video.videoWidth, video.videoHeight);
      if (preview !== null) measured.preview = preview;
    }
    return measured;
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

async function describeAudio(file: Blob): Promise<Measured> {
  const url = URL.createObjectURL(file);
  const audio = document.createElement("audio");
  audio.preload = "metadata";
  try {
    audio.src = url;
    await waitForMedia(audio, "loadedmetadata");
    const duration = await durationOf(audio);
    // A file the browser cannot play is still sent, as a document.
    if (duration === undefined) return { kind: "file" };
    return { kind: "audio", duration };
  } finally {
    audio.removeAttribute("src");
    audio.load();
    URL.revokeObjectURL(url);
  }
}

/**
 * Returns the duration of a media element whose metadata loaded, in
 * seconds, or undefined when it has none. A WebM from MediaRecorder states
 * an infinite duration, so the element seeks past the end, which makes
 * Chromium read the real one, and back to the start for the poster frame.
 */
async function durationOf(
  element: HTMLMediaElement,
): Promise<number | undefined> {
  if (Number.isFinite(element.duration)) return element.duration;
  if (element.duration !== Infinity) return undefined;
  element.currentTime = Number.MAX_SAFE_INTEGER;
  await waitForMedia(element, "seeked");
  const duration = element.duration;
  element.currentTime = 0;
  await waitForMedia(element, "seeked");
  return Number.isFinite(duration) ? duration : undefined;
}

/**
 * Waits for `event` on a media element. Returns false when the element
 * reports an error or the event does not come within MEDIA_LOAD_TIMEOUT_MS.
 */
function waitForMedia(
  element: HTMLMediaElement,
  event: "loadeddata" | "loadedmetadata" | "seeked",
): Promise<boolean> {
  return new Promise((resolve) => {
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      element.removeEventListener(event, onLoad);
      element.removeEventListener("error", onError);
      resolve(ok);
    };
    const onLoad = () => finish(true);
    const onError = () => finish(false);
    const timer = setTimeout(() => finish(false), MEDIA_LOAD_TIMEOUT_MS);
    element.addEventListener(event, onLoad);
    element.addEventListener("error", onError);
  });
}

/**
 * Draws `source` scaled to PREVIEW_EDGE and returns it as a JPEG data URL,
 * or null when no preview can be made.
 */
function drawPreview(
  source: CanvasImageSource,
  width: number,
  height: number,
): string | null {
  if (width <= 0 || height <= 0) return null;
  const scale = Math.min(1, PREVIEW_EDGE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const context = canvas.getContext("2d");
  if (context === null) return null;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  const preview = canvas.toDataURL("image/jpeg", PREVIEW_QUALITY);
  // Recipients drop the whole file description when the preview is
  // larger, which only a browser without a JPEG encoder could produce.
  return preview.length <= MAX_PREVIEW_CHARS ? preview : null;
}
