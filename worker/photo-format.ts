/**
 * Recognises the image formats accepted for profile photos from their first
 * bytes, and reads the pixel size from the header without decoding the
 * image. Formats: JPEG (ITU T.81, JFIF or Exif) and WebP (RIFF container
 * with a VP8, VP8L or VP8X first chunk, as in RFC 9649).
 */

export const PHOTO_TYPES = ["image/jpeg", "image/webp"] as const;
export type PhotoType = (typeof PHOTO_TYPES)[number];

export interface PixelSize {
  width: number;
  height: number;
}

/** Returns whether `value` is one of the accepted media types. */
export function isPhotoType(value: string): value is PhotoType {
  return (PHOTO_TYPES as readonly string[]).includes(value);
}

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/** Returns the format named by the magic bytes, or null for any other. */
export function detectPhotoType(bytes: Uint8Array): PhotoType | null {
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "image/jpeg";
  }
  if (
    bytes.length >= 16 &&
    ascii(bytes, 0, 4) === "RIFF" &&
    ascii(bytes, 8, 4) === "WEBP"
  ) {
    return "image/webp";
  }
  return null;
}

/** Reads the pixel size of an image of `type`, or null when cut short. */
export function readPixelSize(
  bytes: Uint8Array,
  type: PhotoType,
): PixelSize | null {
  return type === "image/jpeg" ? jpegSize(bytes) : webpSize(bytes);
}

function uint16BigEndian(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

function uintLittleEndian(
  bytes: Uint8Array,
  offset: number,
  length: number,
): number {
  let value = 0;
  for (let index = length - 1; index >= 0; index--) {
    value = value * 256 + (bytes[offset + index] ?? 0);
  }
  return value;
}

/**
 * Start-of-frame markers carry the frame size. 0xC4 (DHT), 0xC8 (JPG) and
 * 0xCC (DAC) share the range but are other segments.
 */
function isStartOfFrame(marker: number): boolean {
  return (
    marker >= 0xc0 &&
    marker <= 0xcf &&
    marker !== 0xc4 &&
    marker !== 0xc8 &&
    marker !== 0xcc
  );
}

/** Walks the JPEG marker segments up to the first start-of-frame. */
function jpegSize(bytes: Uint8Array): PixelSize | null {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1] ?? 0;
    if (marker === 0xff) {
      // A fill byte before the marker.
      offset += 1;
      continue;
    }
    // Restart markers and TEM stand alone, without a length.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    // Start of scan or end of image before any frame header.
    if (marker === 0xda || marker === 0xd9) return null;
    const length = uint16BigEndian(bytes, offset + 2);
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) return null;
      return {
        height: uint16BigEndian(bytes, offset + 5),
        width: uint16BigEndian(bytes, offset + 7),
      };
    }
    offset += 2 + length;
  }
  return null;
}

/** Reads the size from the first chunk of a WebP file. */
function webpSize(bytes: Uint8Array): PixelSize | null {
  const chunk = ascii(bytes, 12, 4);
  if (chunk === "VP8 ") {
    // Lossy: a 3-byte frame tag, the start code 9D 01 2A, then 14-bit
    // width and height, each followed by 2 bits of scaling.
    if (bytes.length < 30) return null;
    const startCode =
      bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a;
    if (!startCode) return null;
    return {
      width: uintLittleEndian(bytes, 26, 2) & 0x3fff,
      height: uintLittleEndian(bytes, 28, 2) & 0x3fff,
    };
  }
  if (chunk === "VP8L") {
    // Lossless: the signature 0x2F, then width - 1 and height - 1 in 14
    // bits each, least significant bit first.
    if (bytes.length < 25 || bytes[20] !== 0x2f) return null;
    const bits = uintLittleEndian(bytes, 21, 4);
    return {
      width: (bits & 0x3fff) + 1,
      height: ((bits >>> 14) & 0x3fff) + 1,
    };
  }
  if (chunk === "VP8X") {
    // Extended: canvas width - 1 and height - 1 in 24 bits each.
    if (bytes.length < 30) return null;
    return {
      width: uintLittleEndian(bytes, 24, 3) + 1,
      height: uintLittleEndian(bytes, 27, 3) + 1,
    };
  }
  return null;
}
