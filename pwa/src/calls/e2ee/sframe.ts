/**
 * SFrame (RFC 9605) over WebCrypto, with the cipher suite
 * AES_128_GCM_SHA256_128 (0x0004): a key id (KID) and a frame counter
 * (CTR) in a compact header, a key and salt per KID derived from its base
 * key by HKDF-SHA-256, and nonce = salt XOR CTR.
 *
 * A protected media frame is `clear bytes ‖ SFrame header ‖ ciphertext`.
 * The clear bytes are the codec's own header, which an SFU and the
 * receiving depacketizer read (see clear-bytes.ts). They are the SFrame
 * "metadata", so the AEAD authenticates them with the header.
 */

/** The SFrame cipher suite AES_128_GCM_SHA256_128 (RFC 9605, 4.5). */
export const CIPHER_SUITE = 0x0004;
const KEY_BYTES = 16;
const NONCE_BYTES = 12;
/** Authentication tag of AES-GCM in this suite, in bytes. */
export const TAG_BYTES = 16;
/** Largest KID and CTR this module encodes: JavaScript's safe integers. */
const MAX_VALUE = Number.MAX_SAFE_INTEGER;

const textEncoder = new TextEncoder();

/** The AEAD key and nonce salt of one KID, derived from its base key. */
export interface SframeKey {
  kid: number;
  key: CryptoKey;
  salt: Uint8Array;
}

/** A decoded SFrame header. */
export interface SframeHeader {
  kid: number;
  ctr: number;
  /** Encoded length of the header, in bytes. */
  length: number;
}

function uint64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Returns the minimal big-endian encoding of a positive integer. */
function compact(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = BigInt(value);
  while (rest > 0n) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return Uint8Array.from(bytes);
}

function readUint(bytes: Uint8Array, offset: number, length: number): number {
  let value = 0n;
  for (let index = 0; index < length; index++) {
    value = (value << 8n) | BigInt(bytes[offset + index]!);
  }
  return value > BigInt(MAX_VALUE) ? -1 : Number(value);
}

function checkValue(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_VALUE) {
    throw new RangeError(
      `Invalid SFrame ${name} ${value}: expected 0..2^53-1.`,
    );
  }
}

/**
 * Encodes an SFrame header: a config byte `X K(3) Y C(3)`, then the KID
 * and the CTR each in the fewest big-endian bytes when it is 8 or more.
 */
export function encodeHeader(kid: number, ctr: number): Uint8Array {
  checkValue("KID", kid);
  checkValue("CTR", ctr);
  const kidBytes = kid < 8 ? new Uint8Array(0) : compact(kid);
  const ctrBytes = ctr < 8 ? new Uint8Array(0) : compact(ctr);
  const kidBits = kid < 8 ? kid << 4 : 0x80 | ((kidBytes.length - 1) << 4);
  const ctrBits = ctr < 8 ? ctr : 0x08 | (ctrBytes.length - 1);
  return concat(Uint8Array.of(kidBits | ctrBits), kidBytes, ctrBytes);
}

/**
 * Decodes the SFrame header at `offset`. Returns null when the bytes end
 * before the header does or a value is over 2^53-1.
 */
export function decodeHeader(
  bytes: Uint8Array,
  offset = 0,
): SframeHeader | null {
  const config = bytes[offset];
  if (config === undefined) return null;
  const extendedKid = (config & 0x80) !== 0;
  const kidField = (config >> 4) & 0x07;
  const extendedCtr = (config & 0x08) !== 0;
  const ctrField = config & 0x07;
  const kidLength = extendedKid ? kidField + 1 : 0;
  const ctrLength = extendedCtr ? ctrField + 1 : 0;
  const length = 1 + kidLength + ctrLength;
  if (offset + length > bytes.length) return null;
  const kid = extendedKid ? readUint(bytes, offset + 1, kidLength) : kidField;
  const ctr = extendedCtr
    ? readUint(bytes, offset + 1 + kidLength, ctrLength)
    : ctrField;
  if (kid < 0 || ctr < 0) return null;
  return { kid, ctr, length };
}

async function hkdfExpand(
  secret: CryptoKey,
  label: Uint8Array,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  // HKDF-Expand with the extracted secret as PRK: T(1) = HMAC(PRK, info ‖ 1)
  // is enough, because every output here is at most one SHA-256 block.
  const block = await crypto.subtle.sign(
    "HMAC",
    secret,
    concat(label, Uint8Array.of(1)),
  );
  return new Uint8Array(block.slice(0, length));
}

async function hkdfExtract(
  salt: Uint8Array,
  input: Uint8Array,
): Promise<CryptoKey> {
  // An empty salt stands for HashLen zero bytes (RFC 5869, 2.2).
  const saltKey = await crypto.subtle.importKey(
    "raw",
    salt.length === 0 ? new Uint8Array(32) : concat(salt),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const prk = await crypto.subtle.sign("HMAC", saltKey, concat(input));
  return crypto.subtle.importKey(
    "raw",
    prk,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/**
 * Derives the AEAD key and salt of `kid` from `baseKey` (RFC 9605,
 * 4.4.2). HKDF-Extract runs with an empty salt, then HKDF-Expand with the
 * labels "SFrame 1.0 Secret key " and "SFrame 1.0 Secret salt ". Each
 * label ends with the KID as 8 bytes and the cipher suite as 2 bytes.
 */
export async function deriveSframeKey(
  kid: number,
  baseKey: Uint8Array,
): Promise<SframeKey> {
  checkValue("KID", kid);
  const secret = await hkdfExtract(new Uint8Array(0), baseKey);
  const suffix = concat(uint64(kid), Uint8Array.of(0, CIPHER_SUITE));
  const keyLabel = concat(textEncoder.encode("SFrame 1.0 Secret key "), suffix);
  const saltLabel = concat(
    textEncoder.encode("SFrame 1.0 Secret salt "),
    suffix,
  );
  const keyBytes = await hkdfExpand(secret, keyLabel, KEY_BYTES);
  const salt = await hkdfExpand(secret, saltLabel, NONCE_BYTES);
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      keyBytes,
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
    return { kid, key, salt };
  } finally {
    keyBytes.fill(0);
  }
}

/** Returns salt XOR CTR, with CTR as a big-endian integer of nonce size. */
export function nonceOf(
  salt: Uint8Array,
  ctr: number,
): Uint8Array<ArrayBuffer> {
  const counter = new Uint8Array(NONCE_BYTES);
  new DataView(counter.buffer).setBigUint64(NONCE_BYTES - 8, BigInt(ctr));
  return counter.map((byte, index) => byte ^ salt[index]!);
}

/**
 * Encrypts `payload` under `key` and counter `ctr`. Returns
 * `clear ‖ header ‖ ciphertext`; the AEAD's additional data is
 * `header ‖ clear`, so changing either fails decryption.
 */
export async function sealFrame(
  key: SframeKey,
  ctr: number,
  clear: Uint8Array,
  payload: Uint8Array,
): Promise<Uint8Array<ArrayBuffer>> {
  const header = encodeHeader(key.kid, ctr);
  const sealed = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: nonceOf(key.salt, ctr),
      additionalData: concat(header, clear),
      tagLength: TAG_BYTES * 8,
    },
    key.key,
    concat(payload),
  );
  return concat(clear, header, new Uint8Array(sealed));
}

/**
 * Decrypts a frame made by `sealFrame` whose header is `header`, found
 * after `clearLength` clear bytes. Throws when authentication fails.
 */
export async function openFrame(
  key: SframeKey,
  frame: Uint8Array,
  clearLength: number,
  header: SframeHeader,
): Promise<Uint8Array<ArrayBuffer>> {
  const clear = frame.subarray(0, clearLength);
  const headerBytes = frame.subarray(clearLength, clearLength + header.length);
  const plain = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: nonceOf(key.salt, header.ctr),
      additionalData: concat(headerBytes, clear),
      tagLength: TAG_BYTES * 8,
    },
    key.key,
    concat(frame.subarray(clearLength + header.length)),
  );
  return concat(clear, new Uint8Array(plain));
}
