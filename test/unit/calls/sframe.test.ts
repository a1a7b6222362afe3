import { describe, expect, it } from "vitest";
import { clearByteCount } from "../../../pwa/src/calls/e2ee/clear-bytes.ts";
import {
  RETIRED_KEY_GRACE_MS,
  SframeReceiver,
  SframeSender,
  type OpenResult,
} from "../../../pwa/src/calls/e2ee/context.ts";
import {
  decodeHeader,
  deriveSframeKey,
  encodeHeader,
  nonceOf,
  sealFrame,
} from "../../../pwa/src/calls/e2ee/sframe.ts";

function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (pair) =>
    Number.parseInt(pair, 16),
  );
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

const BASE = hex("000102030405060708090a0b0c0d0e0f");
const OTHER_BASE = hex("f0e0d0c0b0a090807060504030201000");
/** A 200-byte frame of varied bytes. */
const FRAME = Uint8Array.from({ length: 200 }, (_, index) => (index * 7) % 251);

describe("SFrame header", () => {
  // From the SFrame working group's test vectors (test-vectors/header.md
  // in github.com/sframe-wg/sframe).
  const vectors = [
    { kid: 0, ctr: 0, header: "00" },
    { kid: 0, ctr: 1, header: "01" },
    { kid: 0, ctr: 0xff, header: "08ff" },
    { kid: 0, ctr: 0x100, header: "090100" },
    { kid: 0, ctr: 0x1000000, header: "0b01000000" },
    { kid: 0xff, ctr: 0, header: "80ff" },
    { kid: 0xff, ctr: 0xffff, header: "89ffffff" },
    { kid: 0x123, ctr: 0x4567, header: "9901234567" },
  ];

  it.each(vectors)("encodes KID $kid CTR $ctr", ({ kid, ctr, header }) => {
    expect(toHex(encodeHeader(kid, ctr))).toBe(header);
  });

  it.each(vectors)("decodes KID $kid CTR $ctr", ({ kid, ctr, header }) => {
    const bytes = hex(header);
    expect(decodeHeader(bytes)).toEqual({ kid, ctr, length: bytes.length });
  });

  it("rejects a header cut short", () => {
    expect(decodeHeader(hex("89ffff"))).toBeNull();
    expect(decodeHeader(new Uint8Array(0))).toBeNull();
  });
});

describe("SFrame AES_128_GCM_SHA256_128", () => {
  // RFC 9605 test vector for cipher suite 0x0004 (test-vectors/sframe.md
  // in github.com/sframe-wg/sframe).
  const vector = {
    kid: 0x123,
    ctr: 0x4567,
    salt: "75234edefe07819026751816",
    nonce: "75234edefe07819026755d71",
    metadata: "4945544620534672616d65205747",
    plaintext: "64726166742d696574662d736672616d652d656e63",
    ciphertext:
      "9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0" +
      "b091c07018ce4adb34eb",
  };

  it("derives the salt of the RFC 9605 vector", async () => {
    const key = await deriveSframeKey(vector.kid, BASE);
    expect(toHex(key.salt)).toBe(vector.salt);
    expect(toHex(nonceOf(key.salt, vector.ctr))).toBe(vector.nonce);
  });

  it("encrypts the RFC 9605 vector", async () => {
    const key = await deriveSframeKey(vector.kid, BASE);
    const sealed = await sealFrame(
      key,
      vector.ctr,
      hex(vector.metadata),
      hex(vector.plaintext),
    );
    expect(toHex(sealed)).toBe(vector.metadata + vector.ciphertext);
  });
});

/** Returns the bytes of a decrypted frame, and fails the test otherwise. */
function dataOf(result: OpenResult): string {
  if (result.kind !== "ok") throw new Error(`Decryption ${result.kind}.`);
  return toHex(result.data);
}

async function pair(kid = 9): Promise<[SframeSender, SframeReceiver]> {
  const sender = new SframeSender();
  const receiver = new SframeReceiver();
  await sender.setKey(kid, BASE);
  await receiver.addKey(kid, BASE);
  return [sender, receiver];
}

describe("SFrame sender and receiver", () => {
  it("round trip returns the frame", async () => {
    const [sender, receiver] = await pair();
    const sealed = (await sender.encrypt(FRAME, 10))!;
    const opened = await receiver.decrypt(sealed, 10);
    expect(dataOf(opened)).toBe(toHex(FRAME));
  });

  it("leaves the codec bytes in clear", async () => {
    const [sender] = await pair();
    const sealed = (await sender.encrypt(FRAME, 10))!;
    expect(toHex(sealed.subarray(0, 10))).toBe(toHex(FRAME.subarray(0, 10)));
    expect(toHex(sealed.subarray(10, 12))).toBe(toHex(encodeHeader(9, 0)));
    const rest = toHex(sealed.subarray(12));
    expect(rest).not.toContain(toHex(FRAME.subarray(10, 20)));
    expect(sealed.length).toBe(FRAME.length + 2 + 16);
  });

  it("encrypts a frame shorter than its clear bytes", async () => {
    const [sender, receiver] = await pair();
    const short = Uint8Array.of(1, 2);
    const sealed = (await sender.encrypt(short, 10))!;
    const opened = await receiver.decrypt(sealed, 2);
    expect(dataOf(opened)).toBe("0102");
  });

  it("returns null without a send key", async () => {
    expect(await new SframeSender().encrypt(FRAME, 3)).toBeNull();
  });

  it("wrong key fails", async () => {
    const sender = new SframeSender();
    const receiver = new SframeReceiver();
    await sender.setKey(9, BASE);
    await receiver.addKey(9, OTHER_BASE);
    const sealed = (await sender.encrypt(FRAME, 3))!;
    expect(await receiver.decrypt(sealed, 3)).toEqual({ kind: "failed" });
  });

  it("tampered clear byte fails", async () => {
    const [sender, receiver] = await pair();
    const sealed = (await sender.encrypt(FRAME, 10))!;
    sealed[4] = sealed[4]! ^ 0x01;
    expect(await receiver.decrypt(sealed, 10)).toEqual({ kind: "failed" });
  });

  it("tampered header fails", async () => {
    const [sender, receiver] = await pair();
    await sender.encrypt(FRAME, 3);
    const sealed = (await sender.encrypt(FRAME, 3))!;
    // CTR 1 becomes CTR 0: the nonce and the additional data change.
    expect(sealed[3]).toBe(0x81);
    sealed[3] = 0x80;
    expect(await receiver.decrypt(sealed, 3)).toEqual({ kind: "failed" });
  });

  it("tampered ciphertext fails", async () => {
    const [sender, receiver] = await pair();
    const sealed = (await sender.encrypt(FRAME, 3))!;
    sealed[50] = sealed[50]! ^ 0x80;
    expect(await receiver.decrypt(sealed, 3)).toEqual({ kind: "failed" });
  });

  it("truncated frame fails", async () => {
    const [sender, receiver] = await pair();
    const sealed = (await sender.encrypt(FRAME, 3))!;
    const cut = sealed.subarray(0, 3 + 2 + 15);
    expect(await receiver.decrypt(cut, 3)).toEqual({ kind: "failed" });
  });

  it("reports an unknown KID", async () => {
    const sender = new SframeSender();
    await sender.setKey(77, BASE);
    const receiver = new SframeReceiver();
    await receiver.addKey(9, BASE);
    const sealed = (await sender.encrypt(FRAME, 3))!;
    expect(await receiver.decrypt(sealed, 3)).toEqual({
      kind: "unknown_kid",
      kid: 77,
    });
  });
});

describe("SFrame key rotation", () => {
  it("old KID decrypts during its grace time only", async () => {
    let now = 1_000;
    const sender = new SframeSender();
    const receiver = new SframeReceiver(() => now);
    await sender.setKey(9, BASE);
    await receiver.addKey(9, BASE);
    const old = (await sender.encrypt(FRAME, 3))!;

    await receiver.addKey(10, OTHER_BASE);
    receiver.retireKey(9);
    await sender.setKey(10, OTHER_BASE);
    const fresh = (await sender.encrypt(FRAME, 3))!;
    expect(decodeHeader(fresh, 3)?.kid).toBe(10);

    now += RETIRED_KEY_GRACE_MS - 1;
    expect((await receiver.decrypt(old, 3)).kind).toBe("ok");
    expect((await receiver.decrypt(fresh, 3)).kind).toBe("ok");

    now += 1;
    expect(await receiver.decrypt(old, 3)).toEqual({
      kind: "unknown_kid",
      kid: 9,
    });
    expect((await receiver.decrypt(fresh, 3)).kind).toBe("ok");
  });

  it("removed KID is unknown at once", async () => {
    const [sender, receiver] = await pair();
    const sealed = (await sender.encrypt(FRAME, 3))!;
    receiver.removeKey(9);
    expect((await receiver.decrypt(sealed, 3)).kind).toBe("unknown_kid");
  });
});

describe("SFrame counter", () => {
  it("never repeats for a key", async () => {
    const sender = new SframeSender();
    await sender.setKey(9, BASE);
    const sealed = await Promise.all(
      Array.from({ length: 50 }, () => sender.encrypt(FRAME, 3)),
    );
    await sender.setKey(10, OTHER_BASE);
    await sender.encrypt(FRAME, 3);
    // Setting KID 9 again continues its counter instead of restarting.
    await sender.setKey(9, BASE);
    sealed.push(await sender.encrypt(FRAME, 3));
    const counters = sealed.map((frame) => decodeHeader(frame!, 3)?.ctr);
    expect(new Set(counters).size).toBe(51);
    expect(counters[50]).toBe(50);
  });

  it("starts at zero for each KID", async () => {
    const sender = new SframeSender();
    await sender.setKey(9, BASE);
    await sender.encrypt(FRAME, 3);
    await sender.setKey(10, BASE);
    const sealed = (await sender.encrypt(FRAME, 3))!;
    expect(decodeHeader(sealed, 3)).toEqual({ kid: 10, ctr: 0, length: 2 });
  });

  it("starts at the given first counter", async () => {
    const sender = new SframeSender(() => 1_700_000_000_000_000);
    await sender.setKey(9, BASE);
    await sender.encrypt(FRAME, 3);
    const sealed = (await sender.encrypt(FRAME, 3))!;
    expect(decodeHeader(sealed, 3)?.ctr).toBe(1_700_000_000_000_001);
  });
});

describe("clear bytes", () => {
  const cases = [
    { kind: "video", mime: "video/VP8", key: true, count: 10 },
    { kind: "video", mime: "video/VP8", key: false, count: 3 },
    { kind: "video", mime: undefined, key: false, count: 3 },
    { kind: "video", mime: "video/VP9", key: true, count: 0 },
    { kind: "audio", mime: "audio/opus", key: false, count: 1 },
    { kind: "audio", mime: undefined, key: false, count: 1 },
    { kind: "audio", mime: "audio/PCMU", key: false, count: 0 },
  ] as const;

  it.each(cases)("$kind $mime key $key keeps $count", (entry) => {
    expect(clearByteCount(entry.kind, entry.mime, entry.key)).toBe(entry.count);
  });
});
