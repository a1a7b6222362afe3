import { describe, expect, it } from "vitest";
import {
  dispatchEncryptionFrame,
  MAX_HELD_FRAMES,
  onEncryptionFrame,
  type EncryptionFrame,
} from "../../../pwa/src/data/encryption-events.ts";

function keysLow(count: number): EncryptionFrame {
  return { type: "keys.low", stock: count };
}

describe("held encryption frames", () => {
  it("hands held frames to the first listener", () => {
    dispatchEncryptionFrame(keysLow(1));
    dispatchEncryptionFrame(keysLow(2));
    const heard: EncryptionFrame[] = [];
    const stop = onEncryptionFrame((frame) => heard.push(frame));
    dispatchEncryptionFrame(keysLow(3));
    stop();

    expect(heard).toEqual([keysLow(1), keysLow(2), keysLow(3)]);
  });

  it("keeps only the newest frames", () => {
    const sent = MAX_HELD_FRAMES + 20;
    for (let count = 1; count <= sent; count++) {
      dispatchEncryptionFrame(keysLow(count));
    }
    const heard: EncryptionFrame[] = [];
    const stop = onEncryptionFrame((frame) => heard.push(frame));
    stop();

    expect(heard).toHaveLength(MAX_HELD_FRAMES);
    expect(heard[0]).toEqual(keysLow(21));
    expect(heard.at(-1)).toEqual(keysLow(sent));
  });
});
