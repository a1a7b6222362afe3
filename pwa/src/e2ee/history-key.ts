import { decryptWithLabel, encryptWithLabel } from "ts-mls/crypto/hpke.js";
import { makeKeyPackageRef, verifyKeyPackage } from "ts-mls/keyPackage.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import {
  HISTORY_KEY_LABEL,
  HISTORY_SIGNATURE_LABEL,
  type HistoryEnvelope,
} from "../../../protocol/history.ts";
import { decodeState } from "../crypto/codec.ts";
import { memberLeaves } from "../crypto/group-state.ts";
import { credentialIdentity, parseCredential } from "../crypto/identity.ts";
import { parseKeyPackage } from "../crypto/key-packages.ts";
import { fromBase64url, toBase64url } from "../crypto/encoding.ts";
import { cipherSuite } from "../crypto/suite.ts";
import type { MessengerDb, MlsKeyPackageRow } from "../data/db.ts";
import { ArchiveError } from "./history-archive.ts";

/**
 * The archive key of a history transfer, sealed with HPKE (RFC 9420
 * EncryptWithLabel, label HISTORY_KEY_LABEL, the new device's id as
 * context) to the init key of one of the new device's KeyPackages.
 */
export interface SealedKey {
  keyPackageRef: string;
  enc: string;
  sealed: string;
}

/** A claimed KeyPackage that must not receive the history. */
export class KeyPackageRejected extends Error {
  override name = "KeyPackageRejected";
}

/**
 * Seals `key` to a KeyPackage claimed for `deviceId` of `userId`, after
 * checking that the KeyPackage is signed by its leaf's signature key and
 * that its credential names exactly that device. Raises
 * KeyPackageRejected otherwise.
 *
 * NOTE: the signature key is the one inside the KeyPackage, so this
 * proves who the KeyPackage claims to be, not that the server did not
 * make it. Comparing safety numbers with the new device covers that.
 */
export async function sealKey(
  keyPackageText: string,
  userId: string,
  deviceId: string,
  key: Uint8Array,
): Promise<SealedKey> {
  const keyPackage = parseKeyPackage(keyPackageText);
  if (keyPackage === null) {
    throw new KeyPackageRejected(
      `The KeyPackage claimed for device ${deviceId} is not an MLS KeyPackage.`,
    );
  }
  const owner = parseCredential(keyPackage.leafNode.credential);
  if (owner?.userId !== userId || owner.deviceId !== deviceId) {
    throw new KeyPackageRejected(
      `The KeyPackage claimed for device ${deviceId} names another device; expected the credential ${credentialIdentity(userId, deviceId)}.`,
    );
  }
  const suite = await cipherSuite();
  if (!(await verifyKeyPackage(keyPackage, suite.signature))) {
    throw new KeyPackageRejected(
      `The KeyPackage claimed for device ${deviceId} has an invalid signature.`,
    );
  }
  const publicKey = await suite.hpke.importPublicKey(keyPackage.initKey);
  const { ct, enc } = await encryptWithLabel(
    publicKey,
    HISTORY_KEY_LABEL,
    new TextEncoder().encode(deviceId),
    key,
    suite.hpke,
  );
  const ref = await makeKeyPackageRef(keyPackage, suite.hash);
  return {
    keyPackageRef: toBase64url(ref),
    enc: toBase64url(enc),
    sealed: toBase64url(ct),
  };
}

/**
 * Opens a sealed archive key with the private init key of this device's
 * KeyPackage `row`, for this device `deviceId`. Raises an ArchiveError when
 * it does not open or is not 32 bytes.
 */
export async function openKey(
  sealedKey: SealedKey,
  row: MlsKeyPackageRow,
  deviceId: string,
): Promise<Uint8Array> {
  const enc = fromBase64url(sealedKey.enc);
  const sealed = fromBase64url(sealedKey.sealed);
  if (enc === null || sealed === null) {
    throw new ArchiveError(
      "the envelope's enc or sealed field is not base64url",
    );
  }
  const suite = await cipherSuite();
  let key: Uint8Array;
  try {
    const privateKey = await suite.hpke.importPrivateKey(row.initPrivateKey);
    key = await decryptWithLabel(
      privateKey,
      HISTORY_KEY_LABEL,
      new TextEncoder().encode(deviceId),
      enc,
      sealed,
      suite.hpke,
    );
  } catch {
    throw new ArchiveError("the archive key could not be decrypted");
  }
  if (key.length !== 32) {
    throw new ArchiveError(`the archive key has ${key.length} bytes, not 32`);
  }
  return key;
}

/** The envelope without its signature, as the sender signs it. */
export type UnsignedEnvelope = Omit<HistoryEnvelope, "signature">;

/** Encodes what an envelope's signature covers: its fields and both devices. */
function signedContent(
  envelope: UnsignedEnvelope,
  fromDeviceId: string,
  targetDeviceId: string,
): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify([
      fromDeviceId,
      targetDeviceId,
      envelope.keyPackageRef,
      envelope.enc,
      envelope.sealed,
      envelope.sha256,
      envelope.archiveBytes,
    ]),
  );
}

/** Signs an envelope with this device's MLS signature key. */
export async function signEnvelope(
  envelope: UnsignedEnvelope,
  signaturePrivateKey: Uint8Array,
  fromDeviceId: string,
  targetDeviceId: string,
): Promise<HistoryEnvelope> {
  const suite = await cipherSuite();
  const signature = await signWithLabel(
    signaturePrivateKey,
    HISTORY_SIGNATURE_LABEL,
    signedContent(envelope, fromDeviceId, targetDeviceId),
    suite.signature,
  );
  return { ...envelope, signature: toBase64url(signature) };
}

/**
 * Checks an envelope's signature against the signature key that device
 * `fromDeviceId` of `userId` has in one of this device's MLS groups.
 * Raises an ArchiveError when no group has that device or the signature
 * does not verify, because only a device of the person may send history.
 */
export async function verifyEnvelope(
  db: MessengerDb,
  envelope: HistoryEnvelope,
  userId: string,
  fromDeviceId: string,
  targetDeviceId: string,
): Promise<void> {
  const signature = fromBase64url(envelope.signature);
  if (signature === null) {
    throw new ArchiveError("the envelope's signature is not base64url");
  }
  const publicKey = await signatureKeyOf(db, userId, fromDeviceId);
  if (publicKey === null) {
    throw new ArchiveError(
      "the sending device is in none of this device's chats, so its signature cannot be checked",
    );
  }
  const suite = await cipherSuite();
  const valid = await verifyWithLabel(
    publicKey,
    HISTORY_SIGNATURE_LABEL,
    signedContent(envelope, fromDeviceId, targetDeviceId),
    signature,
    suite.signature,
  );
  if (!valid) {
    throw new ArchiveError("the envelope's signature is invalid");
  }
}

/**
 * Returns the signature public key of a device as the ratchet tree of
 * one of this device's groups has it, or null when no group has it.
 */
async function signatureKeyOf(
  db: MessengerDb,
  userId: string,
  deviceId: string,
): Promise<Uint8Array | null> {
  for (const row of await db.mlsGroups.toArray()) {
    let state;
    try {
      state = decodeState(row.state, row.chatId);
    } catch {
      continue;
    }
    const leaf = memberLeaves(state).find(
      (member) => member.userId === userId && member.deviceId === deviceId,
    );
    const node =
      leaf === undefined ? null : state.ratchetTree[leaf.leafIndex * 2];
    if (node?.nodeType === "leaf") return node.leaf.signaturePublicKey;
  }
  return null;
}
