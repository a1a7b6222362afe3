import { describe, expect, it } from "vitest";
import {
  isNewerEpoch,
  kidOf,
  kidParts,
  NO_PARTICIPANTS,
  senderSecret,
  verificationCode,
} from "../../../pwa/src/calls/e2ee/call-keys.ts";

const BASE = new Uint8Array(32).fill(7);
const OTHER_BASE = new Uint8Array(32).fill(8);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

describe("call KIDs", () => {
  it("round trip keeps tag, epoch and leaf", () => {
    const digest = new Uint8Array(32).fill(0xab);
    const kid = kidOf({ epoch: 70_000, digest }, 513);
    expect(kidParts(kid)).toEqual({
      tag: (digest[0]! << 8) | digest[1]!,
      epoch: 70_000 % 65_536,
      leaf: 513,
    });
    expect(Number.isSafeInteger(kid)).toBe(true);
  });

  it("one-to-one KID has tag zero", () => {
    const kid = kidOf({ epoch: 3, digest: NO_PARTICIPANTS }, 1);
    expect(kid).toBe(3 * 65_536 + 1);
  });

  it("rejects a leaf over 16 bits", () => {
    const generation = { epoch: 1, digest: NO_PARTICIPANTS };
    expect(() => kidOf(generation, 65_536)).toThrow(RangeError);
  });

  it("newer epoch allows wrap-around", () => {
    expect(isNewerEpoch(5, 4)).toBe(true);
    expect(isNewerEpoch(4, 4)).toBe(false);
    expect(isNewerEpoch(3, 4)).toBe(false);
    expect(isNewerEpoch(1, 65_535)).toBe(true);
    expect(isNewerEpoch(65_535, 65_536 + 1)).toBe(false);
  });
});

describe("call sender keys", () => {
  it("differ by device, epoch and base", async () => {
    const generation = { epoch: 2, digest: NO_PARTICIPANTS };
    const alice = hex(await senderSecret(BASE, "a", generation));
    expect(alice).toHaveLength(64);
    expect(hex(await senderSecret(BASE, "a", generation))).toBe(alice);
    expect(hex(await senderSecret(BASE, "b", generation))).not.toBe(alice);
    const later = { epoch: 2, digest: new Uint8Array(32).fill(1) };
    expect(hex(await senderSecret(BASE, "a", later))).not.toBe(alice);
    expect(hex(await senderSecret(OTHER_BASE, "a", generation))).not.toBe(
      alice,
    );
  });
});

describe("call verification code", () => {
  it("is four groups of four digits", async () => {
    expect(await verificationCode(BASE)).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
  });

  it("covers the call public keys in any order", async () => {
    const code = await verificationCode(BASE, ["key-a", "key-b"]);
    expect(await verificationCode(BASE, ["key-b", "key-a"])).toBe(code);
    expect(await verificationCode(BASE, ["key-a", "key-c"])).not.toBe(code);
    expect(await verificationCode(BASE, ["key-a"])).not.toBe(code);
    expect(await verificationCode(BASE)).not.toBe(code);
  });

  it("without keys depends on the base secret only", async () => {
    const code = await verificationCode(BASE);
    expect(await verificationCode(BASE.slice())).toBe(code);
    expect(await verificationCode(OTHER_BASE)).not.toBe(code);
  });
});
