import type { Credential } from "ts-mls";
import type { MlsIdentityRow } from "../data/db.ts";
import { fromUtf8, utf8 } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import type { MlsStore } from "./store.ts";
import { cipherSuite } from "./suite.ts";

/** This device as an MLS member: its credential and signature key pair. */
export interface DeviceIdentity {
  userId: string;
  deviceId: string;
  credential: Credential;
  signaturePublicKey: Uint8Array;
  signaturePrivateKey: Uint8Array;
}

/** Returns the identity of a device's basic credential. */
export function credentialIdentity(userId: string, deviceId: string): string {
  return `${userId}.${deviceId}`;
}

/**
 * Parses a basic credential's identity into the device it names, or
 * returns null when it is not `${userId}.${deviceId}` in UTF-8.
 */
export function parseCredential(
  credential: Credential,
): { userId: string; deviceId: string } | null {
  if (credential.credentialType !== "basic") return null;
  let text: string;
  try {
    text = fromUtf8.decode(credential.identity);
  } catch {
    return null;
  }
  const dot = text.indexOf(".");
  if (dot <= 0 || dot === text.length - 1) return null;
  return { userId: text.slice(0, dot), deviceId: text.slice(dot + 1) };
}

/**
 * Returns this device's MLS identity for the signed-in user, creating and
 * storing a new Ed25519 key pair when there is none or when the stored one
 * names another user or device.
 *
 * NOTE: the private key is stored as bytes, not as a non-extractable
 * CryptoKey, because ts-mls 1.6.4 takes signature keys as bytes (it imports
 * them into WebCrypto for each signature) and encodes the key inside every
 * group state.
 */
export async function loadOrCreateIdentity(
  store: MlsStore,
  userId: string,
  deviceId: string,
): Promise<DeviceIdentity> {
  const stored = await store.identity();
  if (stored?.userId === userId && stored.deviceId === deviceId) {
    return toIdentity(stored);
  }
  const suite = await cipherSuite();
  const { publicKey, signKey } = await suite.signature.keygen();
  const row: MlsIdentityRow = {
    id: "device",
    userId,
    deviceId,
    signaturePublicKey: publicKey,
    signaturePrivateKey: signKey,
  };
  await store.replaceIdentity(row);
  return toIdentity(row);
}

/** Returns the stored identity, or raises `no_identity` when there is none. */
export async function loadIdentity(store: MlsStore): Promise<DeviceIdentity> {
  const stored = await store.identity();
  if (stored === undefined) {
    throw new MlsOperationError(
      "no_identity",
      "This device has no MLS identity; create one with loadOrCreateIdentity.",
    );
  }
  return toIdentity(stored);
}

function toIdentity(row: MlsIdentityRow): DeviceIdentity {
  const identity = credentialIdentity(row.userId, row.deviceId);
  return {
    userId: row.userId,
    deviceId: row.deviceId,
    credential: { credentialType: "basic", identity: utf8.encode(identity) },
    signaturePublicKey: row.signaturePublicKey,
    signaturePrivateKey: row.signaturePrivateKey,
  };
}
