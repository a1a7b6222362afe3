import { toRow } from "../data/batch.ts";
import type { FoldRow, MessengerDb, StoredRow } from "../data/db.ts";
import { foldInto } from "../data/fold.ts";
import {
  isReadableBody,
  type ArchiveChat,
  type HistoryArchive,
} from "./history-archive.ts";

/** Rows an import wrote or left alone. */
export interface ImportResult {
  /** Messages and folds written. */
  written: number;
  /** Rows left out, because the local copy is readable, deleted or of another chat. */
  kept: number;
  /** Rows left out for now, because they are above their chat's cursor. */
  later: number;
}

/**
 * Stores the rows of a history archive. A row is written only where this
 * device has no readable copy: none at all, a body still encrypted, or a
 * notice (sent before this device joined, or undecryptable). A readable
 * local row is never overwritten, and every written message is folded
 * again with its edits and reactions.
 *
 * Rows above a chat's cursor are left out and counted in `later`. The
 * cursor moves over stored sequences, so an imported row there would let
 * it skip commits this device has not fetched yet.
 */
export async function importArchive(
  db: MessengerDb,
  archive: HistoryArchive,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportResult> {
  const result: ImportResult = { written: 0, kept: 0, later: 0 };
  let done = 0;
  for (const chat of archive.chats) {
    await db.transaction("rw", [db.messages, db.folds, db.cursors], () =>
      importChat(db, chat, result),
    );
    done += 1;
    onProgress(done, archive.chats.length);
  }
  return result;
}

async function importChat(
  db: MessengerDb,
  chat: ArchiveChat,
  result: ImportResult,
): Promise<void> {
  const cursor = (await db.cursors.get(chat.chatId))?.seq ?? 0;
  const inChat = <T extends { chatId: string; seq: number }>(row: T) =>
    row.chatId === chat.chatId && row.seq <= cursor;
  const messages = chat.messages.filter(inChat);
  const folds = chat.folds.filter(inChat);
  result.later += chat.messages.length - messages.length;
  result.later += chat.folds.length - folds.length;

  const localRows = await db.messages.bulkGet(messages.map((row) => row.id));
  const rows: StoredRow[] = [];
  messages.forEach((message, index) => {
    const local = localRows[index];
    if (!replaces(local, chat.chatId)) {
      result.kept += 1;
      return;
    }
    rows.push(toRow({ ...message, ref: null }, local));
  });

  const localFolds = await db.folds.bulkGet(folds.map((fold) => fold.id));
  const newFolds: FoldRow[] = folds.filter((_, index) =>
    replaces(localFolds[index], chat.chatId),
  );
  result.kept += folds.length - newFolds.length;
  await db.folds.bulkPut(newFolds);

  // Every written row and every target of a written fold is folded again.
  const written = new Map(rows.map((row) => [row.id, row]));
  const targets = new Set([...written.keys(), ...newFolds.map((f) => f.ref)]);
  const missing = [...targets].filter((id) => !written.has(id));
  const others = await db.messages.bulkGet(missing);
  for (const row of others) {
    if (row !== undefined && row.chatId === chat.chatId) {
      written.set(row.id, row);
    }
  }
  const refolded: StoredRow[] = [];
  for (const row of written.values()) {
    const rowFolds = await db.folds.where("ref").equals(row.id).toArray();
    refolded.push(
      foldInto(
        row,
        rowFolds.filter((fold) => fold.chatId === chat.chatId),
      ),
    );
  }
  await db.messages.bulkPut(refolded);
  result.written += rows.length + newFolds.length;
}

/**
 * Returns true when an imported row may replace the local one: there is
 * none, or it is of the same chat and not readable (still encrypted, a
 * notice, or for a fold the empty body of one not decrypted).
 */
function replaces(
  local: { chatId: string; body: string; deleted: boolean } | undefined,
  chatId: string,
): boolean {
  if (local === undefined) return true;
  if (local.chatId !== chatId || local.deleted) return false;
  return local.body === "" || !isReadableBody(local.body);
}
