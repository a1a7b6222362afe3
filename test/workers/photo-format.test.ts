import { describe, expect, it } from "vitest";
import { detectPhotoType, readPixelSize } from "../../worker/photo-format.ts";
import { JPEG_16, jpegClaiming, WEBP_16 } from "./photo-images.ts";

/** Builds the first 30 bytes of a WebP file whose first chunk is `chunk`. */
function webpHeader(chunk: string, data: number[]): Uint8Array {
  const bytes = new Uint8Array(30);
  bytes.set(new TextEncoder().encode(`RIFF\0\0\0\0WEBP${chunk}\0\0\0\0`));
  bytes.set(data, 20);
  return bytes;
}

describe("photo format detection", () => {
  it("recognises JPEG and WebP", () => {
    expect(detectPhotoType(JPEG_16)).toBe("image/jpeg");
    expect(detectPhotoType(WEBP_16)).toBe("image/webp");
  });

  it("rejects other formats and short input", () => {
    const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    const riffWave = new TextEncoder().encode("RIFF\0\0\0\0WAVEfmt ");
    expect(detectPhotoType(png)).toBeNull();
    expect(detectPhotoType(riffWave)).toBeNull();
    expect(detectPhotoType(Uint8Array.of(0xff, 0xd8))).toBeNull();
    expect(detectPhotoType(new Uint8Array(0))).toBeNull();
  });
});

describe("photo pixel size", () => {
  it("reads a JPEG frame header", () => {
    expect(readPixelSize(JPEG_16, "image/jpeg")).toEqual({
      width: 16,
      height: 16,
    });
    expect(readPixelSize(jpegClaiming(640, 480), "image/jpeg")).toEqual({
      width: 640,
      height: 480,
    });
  });

  it("returns null for a JPEG cut before its frame", () => {
    expect(readPixelSize(JPEG_16.slice(0, 600), "image/jpeg")).toBeNull();
  });

  it("reads an extended WebP canvas", () => {
    expect(readPixelSize(WEBP_16, "image/webp")).toEqual({
      width: 16,
      height: 16,
    });
  });

  it("reads a lossy WebP frame", () => {
    // Frame tag, start code, then width 300 and height 200 with scale
    // bits set, which the size must ignore.
    const header = webpHeader(
      "VP8 ",
      [0, 0, 0, 0x9d, 0x01, 0x2a, 0x2c, 0x41, 0xc8, 0xc0],
    );
    expect(readPixelSize(header, "image/webp")).toEqual({
      width: 300,
      height: 200,
    });
  });

  it("rejects a lossy WebP without its start code", () => {
    const header = webpHeader("VP8 ", [0, 0, 0, 0, 0, 0, 0x2c, 0x01, 0xc8, 0]);
    expect(readPixelSize(header, "image/webp")).toBeNull();
  });

  it("reads a lossless WebP frame", () => {
    // Signature 0x2F, then width - 1 = 511 and height - 1 = 255 packed in
    // 14 bits each, least significant first.
    const bits = 511 | (255 << 14);
    const header = webpHeader("VP8L", [
      0x2f,
      bits & 0xff,
      (bits >>> 8) & 0xff,
      (bits >>> 16) & 0xff,
      (bits >>> 24) & 0xff,
    ]);
    expect(readPixelSize(header, "image/webp")).toEqual({
      width: 512,
      height: 256,
    });
  });

  it("returns null for an unknown WebP chunk", () => {
    expect(readPixelSize(webpHeader("ALPH", []), "image/webp")).toBeNull();
  });
});
