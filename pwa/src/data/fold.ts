import { decodeEdit, decodeMessage, decodeReaction } from "./codec.ts";
import { db, type FoldRow, type StoredRow } from "./db.ts";

/**
 * Folding: edits and reactions are messages of their own on the wire, and
 * the chat shows them merged into the message they refer to. Every fold row
 * is kept, and the target is recomputed from its original body plus all of
 * its folds. So the result does not depend on arrival order, and an edit
 * that arrives before its target is applied once the target is stored.
 */

/** Sequence order, with our own unsent folds (seq null) after all others. */
function compareFolds(a: FoldRow, b: FoldRow): number {
  const left = a.seq ?? Number.POSITIVE_INFINITY;
  const right = b.seq ?? Number.POSITIVE_INFINITY;
  if (left !== right) return left - right;
  return a.ts - b.ts;
}

/** Returns `target` with its latest edit and one reaction per person. */
export function foldInto(
  target: StoredRow,
  folds: readonly FoldRow[],
): StoredRow {
  if (target.deleted) {
    return {
      ...target,
      text: "",
      media: null,
      mediaError: false,
      editedAt: null,
      reactions: {},
    };
  }
  const decoded = decodeMessage(target.body);
  let text = decoded.text;
  let editedAt: number | null = null;
  const reactions: Record<string, string> = {};
  for (const fold of [...folds].sort(compareFolds)) {
    if (fold.deleted) continue;
    if (fold.kind === "edit") {
      // Only the author may edit, and the server enforces it too.
      const edited = decodeEdit(fold.body);
      if (fold.senderId !== target.senderId || edited === null) continue;
      text = edited;
      editedAt = fold.ts;
    } else {
      const emoji = decodeReaction(fold.body);
      if (emoji === null) continue;
      if (emoji === "") delete reactions[fold.senderId];
      else reactions[fold.senderId] = emoji;
    }
  }
  // Our own pending file has no final hash yet, so its body's media does
  // not decode and the row keeps the one it was written with.
  const media = decoded.media ?? target.media;
  return { ...target, text, media, editedAt, reactions };
}

/**
 * Recomputes a stored message from its folds. Call it inside a transaction
 * over `messages` and `folds`. It does nothing while the target is missing.
 */
export async function refold(targetId: string): Promise<void> {
  const target = await db.messages.get(targetId);
  if (target === undefined || target.kind !== "message") return;
  const folds = await db.folds.where("ref").equals(targetId).toArray();
  await db.messages.put(foldInto(target, folds));
}
