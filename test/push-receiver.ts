// The receiving end of Web Push for tests, written from the RFCs with
// plain WebCrypto so that it runs in Node and in workerd and checks the
// sending library instead of sharing its code: a subscription key pair
// with its auth secret, the VAPID header check (RFC 8292) and the
// aes128gcm decryption (RFC 8188 with the key derivation of RFC 8291).

const encoder = new TextEncoder();

function toBase64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary)
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

async function hkdf(
  salt: Uint8Array<ArrayBuffer>,
  ikm: Uint8Array<ArrayBuffer>,
  info: Uint8Array<ArrayBuffer>,
  bytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", ikm, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt, info },
    key,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/** A browser's side of one push subscription. */
export interface TestSubscription {
  /** `PushSubscription.toJSON()` as a browser would send it. */
  json: {
    endpoint: string;
    expirationTime: null;
    keys: { p256dh: string; auth: string };
  };
  /** Decrypts an aes128gcm push body into its UTF-8 text. */
  decrypt(body: Uint8Array<ArrayBuffer>): Promise<string>;
}

/** Creates a subscription for `endpoint`: a P-256 key pair and a secret. */
export async function createTestSubscription(
  endpoint: string,
): Promise<TestSubscription> {
  const pair = await crypto.subtle.generateKey(
    { name: "ECDH", namedCurve: "P-256" },
    true,
    ["deriveBits"],
  );
  const publicKey = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  const auth = crypto.getRandomValues(new Uint8Array(16));
  return {
    json: {
      endpoint,
      expirationTime: null,
      keys: { p256dh: toBase64url(publicKey), auth: toBase64url(auth) },
    },
    decrypt: (body) => decrypt(body, pair.privateKey, publicKey, auth),
  };
}

/**
 * Derives the content encryption key and base nonce of an aes128gcm body
 * from the ECDH secret of the two keys and the auth secret, as RFC 8291
 * and RFC 8188 define them.
 */
async function deriveContentKeys(
  salt: Uint8Array<ArrayBuffer>,
  senderKey: Uint8Array<ArrayBuffer>,
  privateKey: CryptoKey,
  publicKey: Uint8Array<ArrayBuffer>,
  auth: Uint8Array<ArrayBuffer>,
): Promise<{ key: CryptoKey; baseNonce: Uint8Array<ArrayBuffer> }> {
  const sender = await crypto.subtle.importKey(
    "raw",
    senderKey,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const shared = new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "ECDH", public: sender },
      privateKey,
      256,
    ),
  );
  // The input keying material mixes in the auth secret and both keys.
  const keyInfo = concat(
    encoder.encode("WebPush: info\0"),
    publicKey,
    senderKey,
  );
  const ikm = await hkdf(auth, shared, keyInfo, 32);
  const cek = await hkdf(
    salt,
    ikm,
    encoder.encode("Content-Encoding: aes128gcm\0"),
    16,
  );
  const baseNonce = await hkdf(
    salt,
    ikm,
    encoder.encode("Content-Encoding: nonce\0"),
    12,
  );
  const key = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, [
    "decrypt",
  ]);
  return { key, baseNonce };
}

/**
 * Decrypts an aes128gcm body (RFC 8188): a header of salt (16
 * bytes), record size (uint32), key id length and key id, which RFC 8291
 * sets to the sender's ephemeral public key, then records of at most
 * `rs` bytes. Each plaintext record ends with a delimiter (1, or 2 in the
 * last record) followed by zero padding.
 */
async function decrypt(
  body: Uint8Array<ArrayBuffer>,
  privateKey: CryptoKey,
  publicKey: Uint8Array<ArrayBuffer>,
  auth: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const salt = body.slice(0, 16);
  const recordSize = view.getUint32(16);
  const idLength = body[20] ?? 0;
  const senderKey = body.slice(21, 21 + idLength);
  if (idLength !== 65) throw new Error(`key id is ${idLength} bytes, not 65`);
  const { key, baseNonce } = await deriveContentKeys(
    salt,
    senderKey,
    privateKey,
    publicKey,
    auth,
  );
  const records = body.slice(21 + idLength);
  const parts: Uint8Array[] = [];
  for (let index = 0, start = 0; start < records.length; index += 1) {
    const record = records.slice(start, start + recordSize);
    start += recordSize;
    const nonce = baseNonce.slice();
    // The record sequence number is XORed into the last 6 bytes.
    for (let byte = 0; byte < 6; byte += 1) {
      const shift = 8 * byte;
      const value = Math.floor(index / 2 ** shift) % 256;
      nonce[11 - byte] = (nonce[11 - byte] ?? 0) ^ value;
    }
    const plain = new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, key, record),
    );
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end -= 1;
    const last = start >= records.length;
    const delimiter = plain[end];
    if (delimiter !== (last ? 2 : 1)) {
      throw new Error(`record ${index} has delimiter ${delimiter}`);
    }
    parts.push(plain.slice(0, end));
  }
  return new TextDecoder().decode(concat(...parts));
}

/** The claims of a VAPID JWT that passed `verifyVapid`. */
export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
}

/**
 * Verifies a `vapid t=<JWT>, k=<key>` Authorization header (RFC 8292):
 * `k` is `serverPublicKey`, the JWT is ES256 and its signature verifies
 * with `k`, `aud` is `audience`, `exp` lies within the next 24 hours, and
 * `sub` is a mailto: or https: URL. Throws naming the failed check.
 */
export async function verifyVapid(
  authorization: string,
  audience: string,
  serverPublicKey: string,
): Promise<VapidClaims> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  if (match === null) throw new Error(`not a vapid header: ${authorization}`);
  const [, token = "", key = ""] = match;
  if (key !== serverPublicKey) throw new Error("k is not the server's key");
  const [header = "", claims = "", signature = ""] = token.split(".");
  const verifier = await crypto.subtle.importKey(
    "raw",
    fromBase64url(key),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const valid = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    verifier,
    fromBase64url(signature),
    encoder.encode(`${header}.${claims}`),
  );
  if (!valid) throw new Error("the JWT signature does not verify");
  const head = JSON.parse(new TextDecoder().decode(fromBase64url(header))) as {
    alg?: unknown;
  };
  if (head.alg !== "ES256") throw new Error(`JWT alg is ${String(head.alg)}`);
  const body = JSON.parse(
    new TextDecoder().decode(fromBase64url(claims)),
  ) as Partial<VapidClaims>;
  if (body.aud !== audience) throw new Error(`aud is ${body.aud}`);
  const now = Date.now() / 1000;
  if (typeof body.exp !== "number" || body.exp <= now) {
    throw new Error("exp has passed");
  }
  if (body.exp > now + 24 * 60 * 60) throw new Error("exp is over 24 h away");
  if (typeof body.sub !== "string" || !/^(mailto:|https:)/.test(body.sub)) {
    throw new Error(`sub is ${body.sub}`);
  }
  return { aud: body.aud, exp: body.exp, sub: body.sub };
}
