import {
  MAX_PROFILE_PHOTO_BYTES,
  PROFILE_PHOTO_EDGE,
} from "../../../../protocol/index.ts";

/** A chosen file that cannot become a profile photo, with the reason. */
export class PhotoFileError extends Error {
  override name = "PhotoFileError";
}

/**
 * Encoder qualities tried in turn until the photo fits the upload limit.
 * Chromium 156 encodes even 512×512 random noise at 0.9 in about 217 KB of
 * WebP, so the lower steps are a safety net for other browsers' encoders.
 */
const QUALITIES = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];

/** Formats tried in turn. The server accepts only these two. */
const FORMATS = ["image/webp", "image/jpeg"] as const;

async function decode(file: Blob): Promise<ImageBitmap> {
  // Phones may label a photo from the camera with an empty type, so only
  // a type that names something else counts as "not an image".
  if (file.type !== "" && !file.type.startsWith("image/")) {
    throw new PhotoFileError("That file is not an image. Choose a photo.");
  }
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new PhotoFileError(
      "This photo could not be read. Choose another one, for example a " +
        "JPEG or PNG file.",
    );
  }
}

/** Draws the centred square of `image`, scaled down to at most the edge. */
function cropToSquare(image: ImageBitmap): HTMLCanvasElement {
  const side = Math.min(image.width, image.height);
  const edge = Math.min(side, PROFILE_PHOTO_EDGE);
  const canvas = document.createElement("canvas");
  canvas.width = edge;
  canvas.height = edge;
  const context = canvas.getContext("2d");
  if (context === null) {
    throw new PhotoFileError(
      "This browser cannot edit photos here. Try another browser.",
    );
  }
  context.imageSmoothingQuality = "high";
  const left = (image.width - side) / 2;
  const top = (image.height - side) / 2;
  context.drawImage(image, left, top, side, side, 0, 0, edge, edge);
  return canvas;
}

function encode(
  canvas: HTMLCanvasElement,
  type: string,
  quality: number,
): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}

/**
 * Finds the first format and quality whose encoding fits the upload limit.
 * A browser without a WebP encoder returns PNG for WebP, so that format is
 * skipped at once.
 */
async function encodeWithinLimit(canvas: HTMLCanvasElement): Promise<Blob> {
  for (const type of FORMATS) {
    for (const quality of QUALITIES) {
      const blob = await encode(canvas, type, quality);
      if (blob === null || blob.type !== type) break;
      if (blob.size <= MAX_PROFILE_PHOTO_BYTES) return blob;
    }
  }
  throw new PhotoFileError(
    "This photo stays too large even at low quality. Choose another one.",
  );
}

/**
 * Turns a chosen image file into a profile photo: the centred square,
 * scaled down to PROFILE_PHOTO_EDGE pixels, encoded as WebP (JPEG where
 * the browser has no WebP encoder) at the highest quality tried that fits
 * MAX_PROFILE_PHOTO_BYTES. Raises PhotoFileError with a sentence for the
 * person when the file is no image or cannot be decoded.
 */
export async function prepareProfilePhoto(file: Blob): Promise<Blob> {
  const image = await decode(file);
  try {
    return await encodeWithinLimit(cropToSquare(image));
  } finally {
    image.close();
  }
}
