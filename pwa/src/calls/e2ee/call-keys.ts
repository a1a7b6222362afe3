/**
 * The keys of an encrypted call. Both kinds of call start from the call's
 * base secret of an epoch: the MLS exporter (RFC 9420, 8.5) of the chat's
 * group at that epoch, with the label CALL_EXPORTER_LABEL and the call id
 * as context.
 *
 * A one-to-one call derives every key from the base secret, so no key
 * travels through the server:
 *
 * - A generation is the epoch (its digest is always NO_PARTICIPANTS).
 * - A sender's key is HKDF-SHA-256 of the base secret with the info
 *   "messenger call sender ", the device id, a zero byte and the digest.
 * - The SFrame KID of a sender is `(epoch mod 2^16) · 2^16 + leaf`: its
 *   leaf index in the MLS ratchet tree and the epoch's low 16 bits. A
 *   receiver that gets a KID of a newer epoch catches up with the group.
 *
 * A group call uses random keys per sender instead (group-keys.ts and
 * key-exchange.ts). Each participant draws a new 32-byte key at call
 * start, at every join or leave and at every new epoch, and seals it to
 * the ECDH call key of each current participant, whose MLS signature it
 * checks first. The base secret salts the sealing, so opening a key takes
 * both a participant's private call key and the chat's group at that
 * epoch. Then:
 *
 * - a device that joins the call gets only keys drawn after it joined,
 *   so it cannot decrypt media sent before;
 * - a device that left the call gets none of the keys drawn when it left,
 *   so it cannot decrypt media sent after the others switch to them,
 *   SEND_SWITCH_DELAY_MS later;
 * - the server relays sealed keys but cannot open them or put its own
 *   call key in place of a participant's.
 *
 * NOTE: one-to-one calls keep exporter-derived keys: every device in the
 * chat's MLS group at an epoch, including the other devices of both
 * people, can derive that epoch's keys of the call.
 */

/** MLS exporter label of a call's base secret. */
export const CALL_EXPORTER_LABEL = "messenger call media v1";
/** Length of base secrets and sender keys, in bytes. */
export const CALL_SECRET_BYTES = 32;
/** The digest of every one-to-one call generation. */
export const NO_PARTICIPANTS = new Uint8Array(32);
/** Largest leaf index a KID can carry. */
const MAX_LEAF = 0xffff;

const textEncoder = new TextEncoder();

/** A generation of sender keys, which every participant computes alike. */
export interface Generation {
  epoch: number;
  /** NO_PARTICIPANTS; a nonzero digest would set the KID's tag. */
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
 * Derives the verification code of a call's base secret and, in a group
 * call, of the participants' signed call public keys (in any order): four
 * groups of four digits, the same on every screen of the call at one
 * epoch. A server that swapped keys would make the codes differ.
 */
export async function verificationCode(
  base: Uint8Array,
  publicKeys: readonly string[] = [],
): Promise<string> {
  const label = "messenger call verification code";
  const info =
    publicKeys.length === 0
      ? label
      : [label, ...[...publicKeys].sort()].join("\n");
  const bytes = await hkdf(base, textEncoder.encode(info), 16);
  const view = new DataView(bytes.buffer);
  const groups: string[] = [];
  for (let index = 0; index < 4; index++) {
    // 2^32 mod 10^4 is 7296, so each group is skewed by under 10^-5.
    const value = view.getUint32(index * 4) % 10_000;
    groups.push(String(value).padStart(4, "0"));
  }
  return groups.join(" ");
}
