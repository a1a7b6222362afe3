import { db, type KeyChangeNoticeRow, type MessengerDb } from "../data/db.ts";
import { decodeState } from "./codec.ts";
import { keySetHash, keysByUser } from "./key-sets.ts";
import { safetyNumber, type SafetyNumber } from "./safety-number.ts";
import { MlsStore } from "./store.ts";

/** The safety number of a one-to-one chat, or the reason there is none. */
export type ChatSafetyNumber =
  /** No group yet, or the contact has no device in it yet. */
  | { status: "not_set_up" }
  | {
      status: "ready";
      number: SafetyNumber;
      /** `keySetHash` of the contact's devices, stored by "Mark as verified". */
      peerKeySetHash: string;
    };

/**
 * Computes the safety number of this device's user and `peerId` from the
 * devices in the chat's stored MLS group state.
 */
export async function chatSafetyNumber(
  chatId: string,
  peerId: string,
  database: MessengerDb = db,
): Promise<ChatSafetyNumber> {
  const store = new MlsStore(database);
  const [identity, row] = await Promise.all([
    store.identity(),
    store.group(chatId),
  ]);
  if (identity === undefined || row === undefined) {
    return { status: "not_set_up" };
  }
  const byUser = keysByUser(decodeState(row.state, chatId));
  const ownKeys = byUser.get(identity.userId);
  const peerKeys = byUser.get(peerId);
  if (ownKeys === undefined || peerKeys === undefined) {
    return { status: "not_set_up" };
  }
  const number = await safetyNumber(
    { userId: identity.userId, keys: ownKeys },
    { userId: peerId, keys: peerKeys },
  );
  return {
    status: "ready",
    number,
    peerKeySetHash: await keySetHash(peerKeys),
  };
}

/**
 * Compares each other person's device keys in the chat's MLS group with the
 * key set last seen there and records a notice for each change. A verified
 * contact whose keys no longer match the verified set loses the mark.
 * Returns the notices recorded. Call it after every commit processed or
 * made and after joining from a Welcome. Calls with an unchanged group
 * record nothing, and nothing is recorded for the first key set seen.
 */
export async function checkKeyChanges(
  chatId: string,
  database: MessengerDb = db,
): Promise<KeyChangeNoticeRow[]> {
  const store = new MlsStore(database);
  const [identity, row] = await Promise.all([
    store.identity(),
    store.group(chatId),
  ]);
  if (identity === undefined || row === undefined) return [];
  const hashes = new Map<string, string>();
  for (const [userId, keys] of keysByUser(decodeState(row.state, chatId))) {
    if (userId !== identity.userId) hashes.set(userId, await keySetHash(keys));
  }
  // The hashes are computed first because a Dexie transaction ends when it
  // awaits a promise that is not Dexie's, such as crypto.subtle.digest.
  const { seenKeySets, verifications, keyChangeNotices } = database;
  return database.transaction(
    "rw",
    [seenKeySets, verifications, keyChangeNotices],
    async () => {
      const recorded: KeyChangeNoticeRow[] = [];
      const now = Date.now();
      for (const [userId, hash] of hashes) {
        const seen = await seenKeySets.get([chatId, userId]);
        const verified = await verifications.get(userId);
        const verifiedChanged =
          verified !== undefined && verified.keySetHash !== hash;
        const changed = seen !== undefined && seen.keySetHash !== hash;
        if (verifiedChanged) await verifications.delete(userId);
        if (verifiedChanged || changed) {
          const notice: KeyChangeNoticeRow = {
            chatId,
            userId,
            ts: now,
            kind: verifiedChanged ? "verified_keys_changed" : "keys_changed",
          };
          notice.n = await keyChangeNotices.add(notice);
          recorded.push(notice);
        }
        await seenKeySets.put({
          chatId,
          userId,
          keySetHash: hash,
          seenAt: now,
        });
      }
      return recorded;
    },
  );
}
