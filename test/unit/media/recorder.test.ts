import { describe, expect, it } from "vitest";
import {
  WAVEFORM_LEVELS,
  decodeWaveform,
  encodeWaveform,
} from "../../../pwa/src/media/recorder.ts";

describe("voice note waveform", () => {
  it("keeps a short recording level by level", () => {
    const levels = [0, 0.5, 1];
    const decoded = decodeWaveform(encodeWaveform(levels));
    expect(decoded).toHaveLength(3);
    expect(decoded[0]).toBe(0);
    expect(decoded[1]).toBeCloseTo(0.5, 2);
    expect(decoded[2]).toBe(1);
  });

  it("reduces a long recording to the maximum of levels", () => {
    const levels = Array.from({ length: 1000 }, (_, index) =>
      index === 500 ? 1 : 0.1,
    );
    const decoded = decodeWaveform(encodeWaveform(levels));
    expect(decoded).toHaveLength(WAVEFORM_LEVELS);
    // Each step is the loudest level of its span, so a short peak stays.
    expect(decoded.filter((level) => level === 1)).toHaveLength(1);
    expect(Math.min(...decoded)).toBeCloseTo(0.1, 2);
  });

  it("encodes as base64url without padding", () => {
    const encoded = encodeWaveform(
      Array.from({ length: 64 }, (_, index) => index / 63),
    );
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it("decodes a missing or invalid waveform as none", () => {
    expect(decodeWaveform(undefined)).toEqual([]);
    expect(decodeWaveform("not base64url!")).toEqual([]);
    expect(decodeWaveform(encodeWaveform([]))).toEqual([]);
  });
});
