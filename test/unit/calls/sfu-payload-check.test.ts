import { describe, expect, it } from "vitest";
import {
  enablePayloadCheck,
  isLaterTimestamp,
  observeVideoPacket,
  payloadReport,
  vp8FrameStart,
} from "../../../dev/sfu/payload-check.ts";
import { SframeSender } from "../../../pwa/src/calls/e2ee/context.ts";

/** A VP8 payload descriptor with PictureID (15 bits) and a start bit. */
const DESCRIPTOR = Uint8Array.of(0x90, 0x80, 0x81, 0x23);

function packet(frame: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(DESCRIPTOR.length + frame.length);
  bytes.set(DESCRIPTOR);
  bytes.set(frame, DESCRIPTOR.length);
  return bytes;
}

/** A delta frame: frame tag with bit 0 set, then pseudo-random bytes. */
function deltaFrame(seed: number): Uint8Array {
  let state = seed;
  return Uint8Array.from({ length: 120 }, (_, index) => {
    if (index === 0) return 0x31;
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state >> 16;
  });
}

describe("SFU payload check", () => {
  it("finds the frame after the descriptor", () => {
    expect(vp8FrameStart(packet(deltaFrame(1)))).toBe(4);
    // Not the first packet of a frame: S bit clear.
    expect(vp8FrameStart(Uint8Array.of(0x80, 0x80, 0x81, 0x23, 1))).toBeNull();
    expect(vp8FrameStart(Uint8Array.of(0x10, 0x31))).toBe(1);
  });

  it("tells SFrame from plaintext", async () => {
    enablePayloadCheck();
    const sender = new SframeSender(() => 1_000);
    await sender.setKey(5 * 2 ** 16 + 2, new Uint8Array(32).fill(1));
    for (let index = 0; index < 50; index++) {
      const sealed = (await sender.encrypt(deltaFrame(index), 3))!;
      const timestamp = index * 3_000;
      observeVideoPacket("encrypted", "video", {
        timestamp,
        payload: packet(sealed),
      });
      observeVideoPacket("plain", "video", {
        timestamp,
        payload: packet(deltaFrame(index + 100)),
      });
    }
    const report = payloadReport();
    const encrypted = report.find((track) => track.sessionId === "encrypted");
    const plain = report.find((track) => track.sessionId === "plain");
    expect(encrypted?.frames).toBe(50);
    expect(encrypted?.kids).toBe(1);
    expect(encrypted?.growingCtr).toBe(49);
    expect(plain?.frames).toBe(50);
    expect(plain?.kids).toBeGreaterThan(4);
    expect(plain?.growingCtr).toBeLessThan(40);
  });

  it("skips retransmitted and late first packets", async () => {
    enablePayloadCheck();
    const sender = new SframeSender(() => 1_000);
    await sender.setKey(7 * 2 ** 16 + 1, new Uint8Array(32).fill(2));
    const sealed: Uint8Array[] = [];
    for (let index = 0; index < 10; index++) {
      sealed.push(packet((await sender.encrypt(deltaFrame(index), 3))!));
    }
    // Timestamps start near 2^32 so that the sequence wraps around.
    const timestampOf = (index: number) =>
      (2 ** 32 - 9_000 + index * 3_000) % 2 ** 32;
    const observe = (index: number) =>
      observeVideoPacket("lossy", "video", {
        timestamp: timestampOf(index),
        payload: sealed[index]!,
      });
    for (let index = 0; index < 10; index++) {
      if (index === 6) continue;
      observe(index);
      // Every third frame's first packet is resent after a NACK.
      if (index % 3 === 0) observe(index);
    }
    // Frame 6 arrives after frame 9.
    observe(6);

    const lossy = payloadReport().find((track) => track.sessionId === "lossy");
    expect(lossy?.frames).toBe(9);
    expect(lossy?.skipped).toBe(4);
    expect(lossy?.kids).toBe(1);
    expect(lossy?.growingCtr).toBe(8);
  });

  it("orders RTP timestamps across the wrap", () => {
    expect(isLaterTimestamp(1, 0)).toBe(true);
    expect(isLaterTimestamp(0, 1)).toBe(false);
    expect(isLaterTimestamp(5, 5)).toBe(false);
    expect(isLaterTimestamp(10, 2 ** 32 - 10)).toBe(true);
    expect(isLaterTimestamp(2 ** 32 - 10, 10)).toBe(false);
  });
});
