import { utf8 } from "./encoding.ts";
import { sortKeys } from "./key-sets.ts";

/**
 * Safety numbers of one-to-one chats, in the style of Signal's numeric
 * fingerprints (libsignal `NumericFingerprintGenerator`, version 0).
 *
 * Each person's half is SHA-512 iterated over
 * `version (2 bytes, big-endian) || keys || userId (UTF-8)`, where `keys` is
 * the concatenation of that person's device signature public keys sorted
 * bytewise. Every round hashes the previous digest followed by `keys`
 * again. The first 30 bytes of the last digest give six groups of five
 * digits: each group is 5 bytes read as a big-endian integer modulo 100000.
 * The two halves are ordered by user id, so both people see the same 60
 * digits.
 */

/** Version of the hashed input, as in Signal's version 0 scheme. */
export const FINGERPRINT_VERSION = 0;

/**
 * SHA-512 rounds per half, as in Signal's apps. libsignal's
 * NumericFingerprintGenerator documents 5200 rounds as a security level
 * above 112 bits.
 */
export const FINGERPRINT_ITERATIONS = 5200;

/** Prefix of the QR payload. The number after "v" is its format version. */
export const QR_PREFIX = "safety-number:v1:";

const DIGIT_GROUPS = 6;
const GROUP_BYTES = 5;

/** One person's device identity keys. */
export interface PersonKeys {
  userId: string;
  /** Raw Ed25519 signature public keys, one per device, in any order. */
  keys: Uint8Array[];
}

/** The safety number of two people, with each person's half. */
export interface SafetyNumber {
  /** The halves, ordered by user id. */
  halves: [FingerprintHalf, FingerprintHalf];
  /** The 60 digits, without spaces. */
  digits: string;
}

export interface FingerprintHalf {
  userId: string;
  /** 30 digits, without spaces. */
  digits: string;
}

/** Computes the 30-digit half of one person. */
export async function fingerprintHalf(person: PersonKeys): Promise<string> {
  if (person.keys.length === 0) {
    throw new Error(
      `User ${person.userId} has no device keys. A safety number needs at least one.`,
    );
  }
  const keys = concat(sortKeys(person.keys));
  const version = new Uint8Array([
    (FINGERPRINT_VERSION >> 8) & 0xff,
    FINGERPRINT_VERSION & 0xff,
  ]);
  let hash = concat([version, keys, utf8.encode(person.userId)]);
  for (let round = 0; round < FINGERPRINT_ITERATIONS; round++) {
    const digest = await crypto.subtle.digest("SHA-512", concat([hash, keys]));
    hash = new Uint8Array(digest);
  }
  return digitsOf(hash);
}

/** Computes the safety number of two people, in either argument order. */
export async function safetyNumber(
  a: PersonKeys,
  b: PersonKeys,
): Promise<SafetyNumber> {
  if (a.userId === b.userId) {
    throw new Error(
      `Both key sets belong to user ${a.userId}. A safety number needs two people.`,
    );
  }
  const [first, second] = a.userId < b.userId ? [a, b] : [b, a];
  const halves: [FingerprintHalf, FingerprintHalf] = [
    { userId: first.userId, digits: await fingerprintHalf(first) },
    { userId: second.userId, digits: await fingerprintHalf(second) },
  ];
  return { halves, digits: halves[0].digits + halves[1].digits };
}

/** Splits digits into groups of five for display, e.g. "12345 67890". */
export function groupDigits(digits: string): string[] {
  return digits.match(/.{1,5}/g) ?? [];
}

/** Returns the string that the QR code encodes: the format and both halves. */
export function qrPayload(number: SafetyNumber): string {
  return `${QR_PREFIX}${number.halves[0].digits}:${number.halves[1].digits}`;
}

/** The outcome of comparing a scanned or entered code with ours. */
export type CodeComparison =
  | { status: "match" }
  | { status: "mismatch" }
  | { status: "invalid"; reason: string };

/**
 * Compares a scanned QR payload, or 60 digits typed or pasted (spaces and
 * line breaks allowed), with our safety number.
 */
export function compareCode(
  number: SafetyNumber,
  scanned: string,
): CodeComparison {
  const text = scanned.trim();
  let digits: string;
  if (text.startsWith("safety-number:")) {
    if (!text.startsWith(QR_PREFIX)) {
      return {
        status: "invalid",
        reason:
          "This code comes from a newer version of the app. Update the app on both devices and scan again.",
      };
    }
    digits = text.slice(QR_PREFIX.length).replace(":", "");
  } else {
    digits = text.replace(/\s+/g, "");
  }
  if (!/^\d{60}$/.test(digits)) {
    return {
      status: "invalid",
      reason:
        "This is not a security code. Enter the 60 digits shown on the other phone, or scan its QR code.",
    };
  }
  return digits === number.digits
    ? { status: "match" }
    : { status: "mismatch" };
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

function digitsOf(hash: Uint8Array): string {
  let digits = "";
  for (let group = 0; group < DIGIT_GROUPS; group++) {
    let value = 0;
    for (let i = 0; i < GROUP_BYTES; i++) {
      // Five bytes stay below 2^40, which a double represents exactly.
      value = value * 256 + (hash[group * GROUP_BYTES + i] ?? 0);
    }
    digits += String(value % 100000).padStart(5, "0");
  }
  return digits;
}
