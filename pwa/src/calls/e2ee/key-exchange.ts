import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import {
  CALL_PUBLIC_KEY_LABEL,
  type CallPublicKey,
} from "../../../../protocol/index.ts";
import { fromBase64url, toBase64url } from "../../crypto/encoding.ts";
import { cipherSuite } from "../../crypto/suite.ts";
import { CALL_SECRET_BYTES } from "./call-keys.ts";

/**
 * The cryptography of a group call's media keys: each participant device
 * has an ephemeral ECDH P-256 key pair for the call, whose public key it
 * signs with its MLS signature key. It seals its random media keys to
 * each other participant with AES-GCM under HKDF of their ECDH shared
 * secret, salted with the call's MLS exporter secret (call-keys.ts).
 */

/** HKDF info prefix of the key that seals one media key. */
const SEAL_INFO_LABEL = "messenger call key";
/** AES-GCM IV length, in bytes. */
const IV_BYTES = 12;
/** Largest leaf index a group call KID can carry. */
const MAX_LEAF = 0xffff;

const textEncoder = new TextEncoder();
const ecdh = { name: "ECDH", namedCurve: "P-256" } as const;

/** Raised when a call public key or a sealed media key is not valid. */
export class CallKeyRejected extends Error {
  override name = "CallKeyRejected";
}

/** This device's key pair for one call, with its signed public key. */
export interface LocalCallKey {
  /** The private key is not extractable. */
  keyPair: CryptoKeyPair;
  signed: CallPublicKey;
}

/** The sender, recipient, call, epoch and KID of one sealed media key. */
export interface SealContext {
  callId: string;
  epoch: number;
  /** The call's MLS exporter secret at `epoch` (call-keys.ts). */
  base: Uint8Array;
  senderDeviceId: string;
  recipientDeviceId: string;
  kid: number;
}

/** Encodes what the signature of a call public key covers. */
function signedContent(
  chatId: string,
  deviceId: string,
  publicKey: string,
): Uint8Array {
  return textEncoder.encode(JSON.stringify([chatId, deviceId, publicKey]));
}

/**
 * Creates this device's ECDH key pair for a call in `chatId` and signs its
 * public key with the device's MLS signature private key.
 */
export async function createLocalCallKey(
  chatId: string,
  deviceId: string,
  signaturePrivateKey: Uint8Array,
): Promise<LocalCallKey> {
  const keyPair = await crypto.subtle.generateKey(ecdh, false, ["deriveBits"]);
  const raw = await crypto.subtle.exportKey("raw", keyPair.publicKey);
  const publicKey = toBase64url(new Uint8Array(raw));
  const suite = await cipherSuite();
  const signature = await signWithLabel(
    signaturePrivateKey,
    CALL_PUBLIC_KEY_LABEL,
    signedContent(chatId, deviceId, publicKey),
    suite.signature,
  );
  return {
    keyPair,
    signed: { publicKey, signature: toBase64url(signature) },
  };
}

/**
 * Checks that `signed` is signed by `signaturePublicKey`, the key of
 * device `deviceId`'s leaf in this device's copy of the chat's ratchet
 * tree, and returns the ECDH public key. Raises CallKeyRejected otherwise.
 */
export async function verifyCallKey(
  signed: CallPublicKey,
  chatId: string,
  deviceId: string,
  signaturePublicKey: Uint8Array,
): Promise<CryptoKey> {
  const signature = fromBase64url(signed.signature);
  const raw = fromBase64url(signed.publicKey);
  if (signature === null || raw === null) {
    throw new CallKeyRejected(
      `The call key of device ${deviceId} is not base64url.`,
    );
  }
  const suite = await cipherSuite();
  const valid = await verifyWithLabel(
    signaturePublicKey,
    CALL_PUBLIC_KEY_LABEL,
    signedContent(chatId, deviceId, signed.publicKey),
    signature,
    suite.signature,
  );
  if (!valid) {
    throw new CallKeyRejected(
      `The call key of device ${deviceId} has an invalid signature.`,
    );
  }
  try {
    return await crypto.subtle.importKey("raw", raw.slice(), ecdh, true, []);
  } catch {
    throw new CallKeyRejected(
      `The call key of device ${deviceId} is not a P-256 public key.`,
    );
  }
}

/**
 * Derives the AES-GCM key that seals one media key from `sender` to
 * `recipient`: HKDF-SHA-256 of their ECDH shared secret, with the call's
 * exporter secret as salt and the call, both devices and the KID as info.
 */
async function sealingKey(
  privateKey: CryptoKey,
  publicKey: CryptoKey,
  context: SealContext,
): Promise<CryptoKey> {
  const shared = await crypto.subtle.deriveBits(
    { name: "ECDH", public: publicKey },
    privateKey,
    256,
  );
  const input = await crypto.subtle.importKey("raw", shared, "HKDF", false, [
    "deriveKey",
  ]);
  const info = JSON.stringify([
    SEAL_INFO_LABEL,
    context.callId,
    context.senderDeviceId,
    context.recipientDeviceId,
    context.kid,
  ]);
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: context.base.slice(),
      info: textEncoder.encode(info),
    },
    input,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** Encodes the AES-GCM additional data: call, KID, epoch and both devices. */
function additionalData(context: SealContext): Uint8Array {
  return textEncoder.encode(
    JSON.stringify([
      context.callId,
      context.kid,
      context.epoch,
      context.senderDeviceId,
      context.recipientDeviceId,
    ]),
  );
}

/**
 * Seals a media key from this device (`privateKey`) to the participant
 * whose verified call key is `recipientKey`. Returns the IV followed by
 * the ciphertext, in base64url.
 */
export async function sealMediaKey(
  privateKey: CryptoKey,
  recipientKey: CryptoKey,
  context: SealContext,
  mediaKey: Uint8Array,
): Promise<string> {
  const key = await sealingKey(privateKey, recipientKey, context);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(context).slice() },
    key,
    mediaKey.slice(),
  );
  const sealed = new Uint8Array(IV_BYTES + ciphertext.byteLength);
  sealed.set(iv);
  sealed.set(new Uint8Array(ciphertext), IV_BYTES);
  return toBase64url(sealed);
}

/**
 * Opens a media key that the participant with the verified call key
 * `senderKey` sealed to this device (`privateKey`). Raises
 * CallKeyRejected when it does not open or is not CALL_SECRET_BYTES long.
 */
export async function openMediaKey(
  privateKey: CryptoKey,
  senderKey: CryptoKey,
  context: SealContext,
  sealed: string,
): Promise<Uint8Array> {
  const bytes = fromBase64url(sealed);
  if (bytes === null || bytes.length <= IV_BYTES) {
    throw new CallKeyRejected(
      `The media key of device ${context.senderDeviceId} is not base64url of an IV and a ciphertext.`,
    );
  }
  const key = await sealingKey(privateKey, senderKey, context);
  let mediaKey: Uint8Array;
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.slice(0, IV_BYTES),
        additionalData: additionalData(context).slice(),
      },
      key,
      bytes.slice(IV_BYTES),
    );
    mediaKey = new Uint8Array(plain);
  } catch {
    throw new CallKeyRejected(
      `The media key of device ${context.senderDeviceId} under KID ${context.kid} failed to decrypt.`,
    );
  }
  if (mediaKey.length !== CALL_SECRET_BYTES) {
    throw new CallKeyRejected(
      `The media key of device ${context.senderDeviceId} has ${mediaKey.length} bytes, not ${CALL_SECRET_BYTES}.`,
    );
  }
  return mediaKey;
}

/**
 * Returns a new random KID of the sender at `leaf`: 32 random bits, then
 * the leaf index in the low 16 bits, so that no two senders share a KID.
 */
export function newGroupKid(leaf: number): number {
  if (!Number.isInteger(leaf) || leaf < 0 || leaf > MAX_LEAF) {
    throw new RangeError(`Leaf index ${leaf} does not fit a call KID.`);
  }
  const random = crypto.getRandomValues(new Uint32Array(1))[0]!;
  return random * 2 ** 16 + leaf;
}

/** Returns the leaf index of the sender of a group call KID. */
export function leafOfKid(kid: number): number {
  return kid % 2 ** 16;
}
