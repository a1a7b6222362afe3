import { db, type KeyChangeNoticeRow, type VerificationRow } from "./db.ts";
import { useLiveQuery } from "./hooks.ts";

/**
 * Verified contacts and key change notices. The safety numbers themselves
 * come from the MLS core (`chatSafetyNumber`, `checkKeyChanges` in
 * crypto/), which loads on demand.
 */

export type { KeyChangeNoticeRow, VerificationRow };

/**
 * Returns the stored verification of a contact, null when they are not
 * verified, or undefined while loading.
 */
export function useVerification(
  userId: string,
): VerificationRow | null | undefined {
  return useLiveQuery(
    async () => (await db.verifications.get(userId)) ?? null,
    [userId],
  );
}

/** Returns a chat's key change notices, oldest first. */
export function useKeyChangeNotices(
  chatId: string,
): KeyChangeNoticeRow[] | undefined {
  return useLiveQuery(
    () => db.keyChangeNotices.where("chatId").equals(chatId).sortBy("ts"),
    [chatId],
  );
}

/**
 * Returns the epoch of a chat's stored MLS group, null when this device has
 * no group for it, or undefined while loading. It changes with every commit
 * applied, so a screen can recompute what it derives from the group.
 */
export function useMlsEpoch(chatId: string): number | null | undefined {
  return useLiveQuery(
    async () => (await db.mlsGroups.get(chatId))?.epoch ?? null,
    [chatId],
  );
}

/** Marks a contact as verified with the key set that was compared. */
export async function markVerified(
  userId: string,
  keySetHash: string,
): Promise<void> {
  await db.verifications.put({ userId, keySetHash, verifiedAt: Date.now() });
}

export async function clearVerification(userId: string): Promise<void> {
  await db.verifications.delete(userId);
}
