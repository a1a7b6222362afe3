import type { ClientState } from "ts-mls";
import { memberLeaves } from "./group-state.ts";

/**
 * Groups the signature public keys of a ratchet tree's leaves by user. A
 * leaf at leaf index i is node 2i of the array-form tree.
 */
export function keysByUser(state: ClientState): Map<string, Uint8Array[]> {
  const byUser = new Map<string, Uint8Array[]>();
  for (const member of memberLeaves(state)) {
    const node = state.ratchetTree[member.leafIndex * 2];
    if (node?.nodeType !== "leaf") continue;
    const keys = byUser.get(member.userId) ?? [];
    keys.push(node.leaf.signaturePublicKey);
    byUser.set(member.userId, keys);
  }
  return byUser;
}

/**
 * Returns the hex SHA-256 of a key set, independent of the keys' order.
 * Each key is hashed with a 2-byte length before it, so two different sets
 * never concatenate to the same bytes.
 */
export async function keySetHash(keys: Uint8Array[]): Promise<string> {
  const total = keys.reduce((sum, key) => sum + 2 + key.length, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const key of sortKeys(keys)) {
    bytes[offset] = key.length >> 8;
    bytes[offset + 1] = key.length & 0xff;
    bytes.set(key, offset + 2);
    offset += 2 + key.length;
  }
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) =>
    byte.toString(16).padStart(2, "0"),
  ).join("");
}

/** Returns the keys sorted bytewise, as a new array. */
export function sortKeys(keys: Uint8Array[]): Uint8Array[] {
  return [...keys].sort(compareBytes);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}
