/**
 * The keys of an encrypted call, all derived from the chat's MLS group,
 * so no key travels through the server:
 *
 * - The call's base secret of an epoch is the MLS exporter (RFC 9420,
 *   8.5) of the chat's group at that epoch, with the label
 *   CALL_EXPORTER_LABEL and the call id as context.
 * - A generation is the pair (epoch, participant digest). In a group call
 *   the digest is SHA-256 over the sorted device ids of the participants,
 *   as the room's `groupcall.state` frames list them, so every join and
 *   leave starts a new generation on every participant without any extra
 *   message. A participant list seen before (A and B, then A, B and C,
 *   then A and B again) returns to that generation's keys. The worker's
 *   send counters go on where they were, so no nonce repeats. A
 *   one-to-one call has no digest (all zero bytes).
 * - A sender's key is HKDF-SHA-256 of the base secret with the info
 *   "messenger call sender ", the device id, a zero byte and the digest.
 * - The SFrame KID of a sender is `tag · 2^32 + (epoch mod 2^16) · 2^16 +
 *   leaf`: its leaf index in the MLS ratchet tree (which every member
 *   computes alike), the epoch's low 16 bits and the first two digest
 *   bytes as a tag. A receiver that gets a KID of a newer epoch than its
 *   own catches up with the chat's MLS group.
 *
 * NOTE: every device in the chat's MLS group at an epoch can derive every
 * generation of that epoch. A member who joins the call later can decrypt
 * media recorded before it joined, and one who left the call can decrypt
 * media sent after it left. Forward secrecy towards late joiners needs a
 * random key per sender, sealed to the current participants only.
 */

/** MLS exporter label of a call's base secret. */
export const CALL_EXPORTER_LABEL = "messenger call media v1";
/** Length of base secrets and sender keys, in bytes. */
export const CALL_SECRET_BYTES = 32;
/** The digest of a one-to-one call, which has no participant list. */
export const NO_PARTICIPANTS = new Uint8Array(32);
/** Largest leaf index a KID can carry. */
const MAX_LEAF = 0xffff;

const textEncoder = new TextEncoder();

/** A generation of sender keys, which every participant computes alike. */
export interface Generation {
  epoch: number;
  /** SHA-256 of the participants' sorted device ids, or NO_PARTICIPANTS. */
  digest: Uint8Array;
}

/** The parts of a KID. */
export interface KidParts {
  /** First two bytes of the generation's digest, big-endian. */
  tag: number;
  /** The epoch modulo 2^16. */
  epoch: number;
  leaf: number;
}

/** Returns the SHA-256 digest of the sorted participant device ids. */
export async function participantsDigest(
  deviceIds: readonly string[],
): Promise<Uint8Array> {
  const sorted = [...new Set(deviceIds)].sort();
  const digest = await crypto.subtle.digest(
    "SHA-256",
    textEncoder.encode(sorted.join("\n")),
  );
  return new Uint8Array(digest);
}

/** Returns the KID of the sender at `leaf` in `generation`. */
export function kidOf(generation: Generation, leaf: number): number {
  if (!Number.isInteger(leaf) || leaf < 0 || leaf > MAX_LEAF) {
    throw new RangeError(`Leaf index ${leaf} does not fit a call KID.`);
  }
  const tag = (generation.digest[0]! << 8) | generation.digest[1]!;
  return tag * 2 ** 32 + (generation.epoch % 2 ** 16) * 2 ** 16 + leaf;
}

/** Splits a KID made by `kidOf` into its parts. */
export function kidParts(kid: number): KidParts {
  return {
    tag: Math.floor(kid / 2 ** 32),
    epoch: Math.floor(kid / 2 ** 16) % 2 ** 16,
    leaf: kid % 2 ** 16,
  };
}

/**
 * Returns whether epoch `theirs` (modulo 2^16, from a KID) is newer than
 * `ours`, allowing for wrap-around: a difference under 2^15 counts as
 * newer.
 */
export function isNewerEpoch(theirs: number, ours: number): boolean {
  const difference = (theirs - (ours % 2 ** 16) + 2 ** 16) % 2 ** 16;
  return difference !== 0 && difference < 2 ** 15;
}

async function hkdf(
  secret: Uint8Array,
  info: Uint8Array,
  bytes: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    "raw",
    secret.slice(),
    "HKDF",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new Uint8Array(0),
      info: info.slice(),
    },
    key,
    bytes * 8,
  );
  return new Uint8Array(bits);
}

/** Derives the base key of a sender's SFrame key from the call's secret. */
export function senderSecret(
  base: Uint8Array,
  deviceId: string,
  generation: Generation,
): Promise<Uint8Array> {
  const label = textEncoder.encode(`messenger call sender ${deviceId}`);
  const info = new Uint8Array(label.length + 1 + generation.digest.length);
  info.set(label);
  info.set(generation.digest, label.length + 1);
  return hkdf(base, info, CALL_SECRET_BYTES);
}

/**
 * Derives the verification code of a call's base secret: four groups of
 * four digits, the same on every screen of the call at one epoch. A
 * server that swapped keys would make the codes differ.
 */
export async function verificationCode(base: Uint8Array): Promise<string> {
  const bytes = await hkdf(
    base,
    textEncoder.encode("messenger call verification code"),
    16,
  );
  const view = new DataView(bytes.buffer);
  const groups: string[] = [];
  for (let index = 0; index < 4; index++) {
    // 2^32 mod 10^4 is 7296, so each group is skewed by under 10^-5.
    const value = view.getUint32(index * 4) % 10_000;
    groups.push(String(value).padStart(4, "0"));
  }
  return groups.join(" ");
}
