import {
  chunkCount,
  cipherSize,
  MEDIA_CHUNK_BYTES,
  MEDIA_CHUNK_TAG_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
  MEDIA_PART_BYTES,
  partCount,
} from "../../../protocol/index.ts";
import { fromBase64url, toBase64url } from "../crypto/encoding.ts";

/**
 * File encryption as protocol/media.ts fixes it: AES-256-GCM per chunk of
 * MEDIA_CHUNK_BYTES, each sealed with the base nonce XOR its index and
 * with its index and a final flag as additional data. Only WebCrypto
 * primitives are used, so the page and the service worker share it.
 */

/** Chunks per upload part: a part is always whole chunks. */
export const CHUNKS_PER_PART = MEDIA_PART_BYTES / MEDIA_CIPHER_CHUNK_BYTES;

const KEY_BYTES = 32;
const NONCE_BYTES = 12;

/** A file's key and base nonce as a MediaItem carries them (base64url). */
export interface FileSecret {
  key: string;
  nonce: string;
}

/** Raised when ciphertext fails authentication or has the wrong length. */
export class MediaIntegrityError extends Error {
  override readonly name = "MediaIntegrityError";
}

/** Returns a fresh random key and base nonce for one file. */
export function newFileSecret(): FileSecret {
  const key = crypto.getRandomValues(new Uint8Array(KEY_BYTES));
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  return { key: toBase64url(key), nonce: toBase64url(nonce) };
}

/** A file secret decoded for WebCrypto. */
export interface FileCipher {
  key: CryptoKey;
  nonce: Uint8Array<ArrayBuffer>;
}

/** Decodes and imports a file secret; raises on a malformed one. */
export async function importFileSecret(
  secret: FileSecret,
): Promise<FileCipher> {
  const raw = fromBase64url(secret.key);
  const nonce = fromBase64url(secret.nonce);
  if (raw?.length !== KEY_BYTES || nonce?.length !== NONCE_BYTES) {
    throw new MediaIntegrityError(
      "The file's key or nonce is malformed (expected 32 and 12 bytes).",
    );
  }
  const key = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(raw),
    { name: "AES-GCM" },
    false,
    ["encrypt", "decrypt"],
  );
  return { key, nonce: new Uint8Array(nonce) };
}

function chunkNonce(base: Uint8Array, index: number): Uint8Array<ArrayBuffer> {
  const nonce = new Uint8Array(base);
  const view = new DataView(nonce.buffer);
  view.setUint32(8, view.getUint32(8) ^ index);
  return nonce;
}

function chunkAad(index: number, final: boolean): Uint8Array<ArrayBuffer> {
  const aad = new Uint8Array(5);
  new DataView(aad.buffer).setUint32(0, index);
  aad[4] = final ? 1 : 0;
  return aad;
}

/** Plaintext bytes of chunk `index` of a file of `plainBytes` bytes. */
export function plainChunkBytes(plainBytes: number, index: number): number {
  return Math.max(
    0,
    Math.min(MEDIA_CHUNK_BYTES, plainBytes - index * MEDIA_CHUNK_BYTES),
  );
}

/**
 * Encrypts upload part `part` (1-based) of `file` and returns its
 * ciphertext, MEDIA_PART_BYTES long except for the last part.
 */
export async function encryptPart(
  file: Blob,
  cipher: FileCipher,
  part: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks = chunkCount(file.size);
  const first = (part - 1) * CHUNKS_PER_PART;
  const last = Math.min(chunks, first + CHUNKS_PER_PART) - 1;
  if (part < 1 || part > partCount(cipherSize(file.size))) {
    throw new RangeError(`Part ${part} is outside the file.`);
  }
  const start = first * MEDIA_CHUNK_BYTES;
  const plain = new Uint8Array(
    await file.slice(start, (last + 1) * MEDIA_CHUNK_BYTES).arrayBuffer(),
  );
  const out = new Uint8Array(
    plain.length + (last - first + 1) * MEDIA_CHUNK_TAG_BYTES,
  );
  let offset = 0;
  for (let index = first; index <= last; index++) {
    const from = (index - first) * MEDIA_CHUNK_BYTES;
    const bytes = plain.subarray(
      from,
      from + plainChunkBytes(file.size, index),
    );
    const sealed = await crypto.subtle.encrypt(
      {
        name: "AES-GCM",
        iv: chunkNonce(cipher.nonce, index),
        additionalData: chunkAad(index, index === chunks - 1),
      },
      cipher.key,
      bytes,
    );
    out.set(new Uint8Array(sealed), offset);
    offset += sealed.byteLength;
  }
  return out;
}

/**
 * Decrypts whole chunks, starting with chunk `first`, of a file of
 * `plainBytes` bytes. `bytes` must hold exactly those chunks' ciphertext.
 * Raises MediaIntegrityError when a chunk fails authentication (wrong key,
 * chunks swapped or damaged) or the ciphertext has the wrong length.
 */
export async function decryptChunks(
  cipher: FileCipher,
  plainBytes: number,
  first: number,
  bytes: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const chunks = chunkCount(plainBytes);
  const parts: Uint8Array[] = [];
  let offset = 0;
  let index = first;
  while (offset < bytes.length) {
    if (index >= chunks) {
      throw new MediaIntegrityError("The file has more data than declared.");
    }
    const length = plainChunkBytes(plainBytes, index) + MEDIA_CHUNK_TAG_BYTES;
    if (offset + length > bytes.length) {
      throw new MediaIntegrityError(`Chunk ${index} of the file is cut short.`);
    }
    parts.push(await openChunk(cipher, chunks, index, bytes, offset, length));
    offset += length;
    index++;
  }
  return concat(parts);
}

async function openChunk(
  cipher: FileCipher,
  chunks: number,
  index: number,
  bytes: Uint8Array,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: chunkNonce(cipher.nonce, index),
        additionalData: chunkAad(index, index === chunks - 1),
      },
      cipher.key,
      bytes.slice(offset, offset + length),
    );
    return new Uint8Array(plain);
  } catch {
    throw new MediaIntegrityError(
      `Chunk ${index} of the file failed to decrypt: it is damaged or the key is wrong.`,
    );
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The whole chunks that cover a plaintext byte range. */
export interface ChunkRange {
  /** First and last chunk index, inclusive. */
  firstChunk: number;
  lastChunk: number;
  /** Ciphertext byte range of those chunks, both ends inclusive. */
  cipherStart: number;
  cipherEnd: number;
  /** Plaintext offset of the first chunk. */
  plainStart: number;
}

/**
 * Maps plaintext bytes `start`..`end` (inclusive, as in an HTTP Range) of
 * a file of `plainBytes` bytes to the whole ciphertext chunks that contain
 * them. Raises RangeError when the range is empty or outside the file.
 */
export function chunkRange(
  plainBytes: number,
  start: number,
  end: number,
): ChunkRange {
  const last = Math.max(0, plainBytes - 1);
  if (start < 0 || end < start || (plainBytes > 0 && end > last)) {
    throw new RangeError(
      `Range ${start}-${end} is outside a file of ${plainBytes} bytes.`,
    );
  }
  const firstChunk = Math.floor(start / MEDIA_CHUNK_BYTES);
  const lastChunk = Math.floor(end / MEDIA_CHUNK_BYTES);
  const cipherStart = firstChunk * MEDIA_CIPHER_CHUNK_BYTES;
  const cipherEnd =
    Math.min(
      cipherSize(plainBytes),
      (lastChunk + 1) * MEDIA_CIPHER_CHUNK_BYTES,
    ) - 1;
  return {
    firstChunk,
    lastChunk,
    cipherStart,
    cipherEnd,
    plainStart: firstChunk * MEDIA_CHUNK_BYTES,
  };
}

/** SHA-256 of one upload part's ciphertext. */
export async function partDigest(bytes: Uint8Array<ArrayBuffer>) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * Computes the file hash of a MediaItem: SHA-256 over the concatenated SHA-256
 * digests of the ciphertext's upload parts, in part order, base64url.
 * Hashing digests, not the whole ciphertext, lets an interrupted upload
 * resume from stored part digests without reading the sent parts again.
 */
export async function fileHash(digests: readonly Uint8Array[]) {
  const all = concat(digests);
  return toBase64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", all)),
  );
}
