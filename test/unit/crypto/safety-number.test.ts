import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  compareCode,
  FINGERPRINT_ITERATIONS,
  fingerprintHalf,
  groupDigits,
  qrPayload,
  safetyNumber,
  type PersonKeys,
} from "../../../pwa/src/crypto/safety-number.ts";

/** Returns a 32-byte key whose bytes count up from `start`. */
function key(start: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (start + i) % 256);
}

const alice: PersonKeys = { userId: "u_alice", keys: [key(1), key(100)] };
const bob: PersonKeys = { userId: "u_bob", keys: [key(50)] };

/**
 * Computes a half again with node:crypto, so the test pins the bytes
 * hashed rather than trusting the code under test.
 */
function referenceHalf(person: PersonKeys): string {
  const keys = Buffer.concat(
    [...person.keys]
      .map((k) => Buffer.from(k))
      .sort((a, b) => Buffer.compare(a, b)),
  );
  let hash = Buffer.concat([
    Buffer.from([0, 0]),
    keys,
    Buffer.from(person.userId, "utf8"),
  ]);
  for (let i = 0; i < 5200; i++) {
    hash = createHash("sha512").update(hash).update(keys).digest();
  }
  let digits = "";
  for (let offset = 0; offset < 30; offset += 5) {
    const value = hash.readUIntBE(offset, 5) % 100000;
    digits += String(value).padStart(5, "0");
  }
  return digits;
}

describe("safety number", () => {
  it("matches the reference computation", async () => {
    expect(FINGERPRINT_ITERATIONS).toBe(5200);
    expect(await fingerprintHalf(alice)).toBe(referenceHalf(alice));
    expect(await fingerprintHalf(bob)).toBe(referenceHalf(bob));
  });

  it("is the same on both sides", async () => {
    const fromAlice = await safetyNumber(alice, bob);
    const fromBob = await safetyNumber(bob, alice);
    expect(fromAlice.digits).toBe(fromBob.digits);
    expect(fromAlice.digits).toMatch(/^\d{60}$/);
    expect(fromAlice.halves[0].userId).toBe("u_alice");
    expect(fromAlice.digits).toBe(referenceHalf(alice) + referenceHalf(bob));
  });

  it("ignores the order of a person's devices", async () => {
    const reversed = { ...alice, keys: [...alice.keys].reverse() };
    expect(await fingerprintHalf(reversed)).toBe(await fingerprintHalf(alice));
  });

  it("changes when a device key changes", async () => {
    const before = await safetyNumber(alice, bob);
    const reinstalled = { ...bob, keys: [key(51)] };
    const after = await safetyNumber(alice, reinstalled);
    expect(after.halves[0].digits).toBe(before.halves[0].digits);
    expect(after.halves[1].digits).not.toBe(before.halves[1].digits);
  });

  it("changes when a device is added", async () => {
    const before = await safetyNumber(alice, bob);
    const twoDevices = { ...bob, keys: [key(50), key(200)] };
    const after = await safetyNumber(alice, twoDevices);
    expect(after.halves[1].digits).not.toBe(before.halves[1].digits);
  });

  it("depends on the user id", async () => {
    const renamed = { ...bob, userId: "u_carol" };
    expect(await fingerprintHalf(renamed)).not.toBe(await fingerprintHalf(bob));
  });

  it("rejects a person without keys", async () => {
    await expect(fingerprintHalf({ userId: "u_x", keys: [] })).rejects.toThrow(
      /no device keys/,
    );
  });

  it("rejects two halves of one user", async () => {
    await expect(safetyNumber(alice, alice)).rejects.toThrow(/two people/);
  });

  it("splits into twelve groups of five", async () => {
    const { digits } = await safetyNumber(alice, bob);
    const groups = groupDigits(digits);
    expect(groups).toHaveLength(12);
    expect(groups.join("")).toBe(digits);
    for (const group of groups) expect(group).toMatch(/^\d{5}$/);
  });
});

describe("safety number QR payload", () => {
  it("round-trips to a match", async () => {
    const number = await safetyNumber(alice, bob);
    const payload = qrPayload(number);
    expect(payload).toBe(
      `safety-number:v1:${number.halves[0].digits}:${number.halves[1].digits}`,
    );
    expect(compareCode(number, payload)).toEqual({ status: "match" });
  });

  it("reports a mismatch for other keys", async () => {
    const ours = await safetyNumber(alice, bob);
    const theirs = await safetyNumber(alice, { ...bob, keys: [key(51)] });
    expect(compareCode(ours, qrPayload(theirs))).toEqual({
      status: "mismatch",
    });
  });

  it("accepts typed digits with spaces", async () => {
    const number = await safetyNumber(alice, bob);
    const typed = groupDigits(number.digits).join(" ");
    expect(compareCode(number, ` ${typed}\n`)).toEqual({ status: "match" });
    const wrong = `${typed.slice(0, -1)}${typed.endsWith("0") ? "1" : "0"}`;
    expect(compareCode(number, wrong)).toEqual({ status: "mismatch" });
  });

  it("rejects text that is no code", async () => {
    const number = await safetyNumber(alice, bob);
    for (const text of ["", "hello", number.digits.slice(1)]) {
      const result = compareCode(number, text);
      expect(result.status).toBe("invalid");
    }
  });

  it("rejects a newer payload version", async () => {
    const number = await safetyNumber(alice, bob);
    const future = qrPayload(number).replace(":v1:", ":v2:");
    const result = compareCode(number, future);
    expect(result.status).toBe("invalid");
    if (result.status === "invalid") expect(result.reason).toMatch(/Update/);
  });
});
