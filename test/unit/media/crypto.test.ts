import { describe, expect, it } from "vitest";
import {
  cipherSize,
  MEDIA_CHUNK_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
  MEDIA_PART_BYTES,
  partCount,
} from "../../../protocol/media.ts";
import {
  chunkRange,
  CHUNKS_PER_PART,
  concat,
  decryptChunks,
  encryptPart,
  fileHash,
  importFileSecret,
  MediaIntegrityError,
  newFileSecret,
  partDigest,
} from "../../../pwa/src/media/crypto.ts";

/** Deterministic bytes, so a failure shows the same data every run. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

/** Compares bytes without vitest's deep equality, which is slow on MBs. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

async function encryptAll(plain: Uint8Array<ArrayBuffer>) {
  const secret = newFileSecret();
  const cipher = await importFileSecret(secret);
  const file = new Blob([plain]);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (let part = 1; part <= partCount(cipherSize(plain.length)); part++) {
    parts.push(await encryptPart(file, cipher, part));
  }
  return { secret, cipher, parts, whole: concat(parts) };
}

const SIZES = {
  "0 bytes": 0,
  "1 byte": 1,
  "exactly one chunk": MEDIA_CHUNK_BYTES,
  "one chunk and a byte": MEDIA_CHUNK_BYTES + 1,
  "two parts and a bit": 2 * CHUNKS_PER_PART * MEDIA_CHUNK_BYTES + 1000,
};

describe("media crypto", () => {
  for (const [label, size] of Object.entries(SIZES)) {
    it(`round-trips ${label}`, async () => {
      const plain = pattern(size);
      const { cipher, parts, whole } = await encryptAll(plain);
      expect(whole.length).toBe(cipherSize(size));
      expect(parts.length).toBe(partCount(cipherSize(size)));
      for (const part of parts.slice(0, -1)) {
        expect(part.length).toBe(MEDIA_PART_BYTES);
      }
      const opened = await decryptChunks(cipher, size, 0, whole);
      expect(opened.length).toBe(size);
      expect(sameBytes(opened, plain)).toBe(true);
    });
  }

  it("rejects the wrong key", async () => {
    const { whole } = await encryptAll(pattern(1000));
    const other = await importFileSecret(newFileSecret());
    await expect(decryptChunks(other, 1000, 0, whole)).rejects.toBeInstanceOf(
      MediaIntegrityError,
    );
  });

  it("rejects swapped chunks", async () => {
    const size = 2 * MEDIA_CHUNK_BYTES;
    const { cipher, whole } = await encryptAll(pattern(size));
    const swapped = concat([
      whole.subarray(MEDIA_CIPHER_CHUNK_BYTES),
      whole.subarray(0, MEDIA_CIPHER_CHUNK_BYTES),
    ]);
    await expect(
      decryptChunks(cipher, size, 0, swapped),
    ).rejects.toBeInstanceOf(MediaIntegrityError);
  });

  it("rejects a truncated last chunk", async () => {
    const size = MEDIA_CHUNK_BYTES + 500;
    const { cipher, whole } = await encryptAll(pattern(size));
    const cut = whole.subarray(0, whole.length - 1);
    await expect(decryptChunks(cipher, size, 0, cut)).rejects.toBeInstanceOf(
      MediaIntegrityError,
    );
  });

  it("rejects a file cut at a chunk boundary", async () => {
    // Without the final flag in the additional data, dropping the last
    // chunk would leave a valid shorter file.
    const size = 2 * MEDIA_CHUNK_BYTES;
    const { cipher, whole } = await encryptAll(pattern(size));
    const first = whole.subarray(0, MEDIA_CIPHER_CHUNK_BYTES);
    await expect(
      decryptChunks(cipher, MEDIA_CHUNK_BYTES, 0, first),
    ).rejects.toBeInstanceOf(MediaIntegrityError);
  });

  it("rejects a flipped bit", async () => {
    const { cipher, whole } = await encryptAll(pattern(300));
    const damaged = whole.slice();
    damaged[10]! ^= 1;
    await expect(decryptChunks(cipher, 300, 0, damaged)).rejects.toThrow(
      /Chunk 0/,
    );
  });

  it("decrypts a range of chunks alone", async () => {
    const size = 5 * MEDIA_CHUNK_BYTES + 123;
    const plain = pattern(size);
    const { cipher, whole } = await encryptAll(plain);
    const range = chunkRange(size, 2 * MEDIA_CHUNK_BYTES + 5, size - 1);
    const slice = whole.subarray(range.cipherStart, range.cipherEnd + 1);
    const opened = await decryptChunks(cipher, size, range.firstChunk, slice);
    expect(sameBytes(opened, plain.subarray(range.plainStart))).toBe(true);
  });

  it("rejects a malformed key", async () => {
    await expect(
      importFileSecret({ key: "short", nonce: newFileSecret().nonce }),
    ).rejects.toBeInstanceOf(MediaIntegrityError);
  });
});

describe("chunkRange", () => {
  it("maps a range inside one chunk", () => {
    expect(chunkRange(200_000, 10, 20)).toEqual({
      firstChunk: 0,
      lastChunk: 0,
      cipherStart: 0,
      cipherEnd: MEDIA_CIPHER_CHUNK_BYTES - 1,
      plainStart: 0,
    });
  });

  it("maps a range across chunks", () => {
    const range = chunkRange(
      200_000,
      MEDIA_CHUNK_BYTES - 1,
      MEDIA_CHUNK_BYTES * 2,
    );
    expect(range.firstChunk).toBe(0);
    expect(range.lastChunk).toBe(2);
    expect(range.cipherEnd).toBe(3 * MEDIA_CIPHER_CHUNK_BYTES - 1);
  });

  it("ends at the short last chunk", () => {
    const range = chunkRange(200_000, 199_000, 199_999);
    expect(range.firstChunk).toBe(3);
    expect(range.cipherStart).toBe(3 * MEDIA_CIPHER_CHUNK_BYTES);
    expect(range.cipherEnd).toBe(cipherSize(200_000) - 1);
  });

  it("rejects ranges outside the file", () => {
    expect(() => chunkRange(100, 0, 100)).toThrow(RangeError);
    expect(() => chunkRange(100, 50, 10)).toThrow(RangeError);
    expect(() => chunkRange(100, -1, 10)).toThrow(RangeError);
  });
});

describe("fileHash", () => {
  it("hashes the digests of the parts in order", async () => {
    const a = await partDigest(pattern(10));
    const b = await partDigest(pattern(20));
    const direct = new Uint8Array(
      await crypto.subtle.digest("SHA-256", concat([a, b])),
    );
    const hash = await fileHash([a, b]);
    expect(hash).toBe(Buffer.from(direct).toString("base64url"));
    expect(await fileHash([b, a])).not.toBe(hash);
  });
});
