import {
  ContactReply,
  ImportContactsReply,
  MAX_DISCOVERY_BATCH,
  type Contact,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { blocked, putContacts } from "./contacts.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { ApiFailure } from "./types.ts";

/*
 * Changes to the contacts and blocks that only the contact, chat info and
 * settings screens make. They live apart from contacts.ts so that they
 * load with those screens, not with the first one.
 */

/**
 * Saves the number `phone` (E.164) as a contact under `name`, or renames
 * the contact. Returns the stored contact; its `userId` names the account
 * using the number, whose profile is cached too. `knownUserId` is an
 * account id this person already has, such as that of someone who wrote
 * to them. When that account uses the number, the server links it without
 * spending a daily check.
 */
export async function saveContact(
  phone: string,
  name: string,
  knownUserId?: string,
): Promise<Contact> {
  const body =
    knownUserId === undefined
      ? { phone, name }
      : { phone, name, userId: knownUserId };
  const existed = (await db.contacts.get(phone)) !== undefined;
  const reply = await apiRequest("POST", "/contacts", ContactReply, body);
  if (reply.user !== null) await db.profiles.put(reply.user);
  await db.transaction("rw", db.contacts, async () => {
    // A contact stored before the request and gone now was removed by a
    // frame during it. When the server removed it after this save,
    // storing the reply would bring back a deleted contact here only. When
    // it removed it before, the frame of this save restores the row.
    const removed = existed && (await db.contacts.get(phone)) === undefined;
    if (!removed) await putContacts([reply.contact]);
  });
  return reply.contact;
}

/** Deletes the contact `phone`; one already gone elsewhere counts as done. */
export async function removeContact(phone: string): Promise<void> {
  const before = JSON.stringify(await db.contacts.get(phone));
  try {
    await apiRequest("POST", "/contacts/remove", null, { phone });
  } catch (error) {
    if (!(error instanceof ApiFailure && error.code === "not_found")) {
      throw error;
    }
  }
  await db.transaction("rw", db.contacts, async () => {
    // A row that changed during the request was written by a frame: a
    // save that the server applied after this removal, or one before it
    // whose removal frame is still on its way. Either way the frames
    // decide, and deleting here could hide a contact the server keeps.
    const now = JSON.stringify(await db.contacts.get(phone));
    if (now === before) await db.contacts.delete(phone);
  });
}

/** A contact to import: a number in E.164 form and the name to save. */
export interface ImportEntry {
  phone: string;
  name: string;
}

/** Counts of an import, summed over its batches. */
export interface ImportResult {
  /** Contacts the server saved. */
  saved: number;
  /** Saved contacts that have an account. */
  onApp: number;
  /** Saved contacts not checked for an account, over the daily limit. */
  unchecked: number;
  /** Numbers the person may still check today, from the last reply. */
  remaining: number | null;
  /** The error that stopped the import before its last batch, or null. */
  error: ApiFailure | null;
}

/**
 * Imports contacts through POST /api/contacts/import, MAX_DISCOVERY_BATCH
 * at a time, in order. A number listed twice is sent once, under its
 * first name. A failed batch ends the import: the result counts the
 * batches stored before it and carries the error. `onProgress` gets the
 * number of entries sent so far after each batch.
 */
export async function importContacts(
  entries: readonly ImportEntry[],
  onProgress?: (done: number, total: number) => void,
): Promise<ImportResult> {
  const byPhone = new Map<string, ImportEntry>();
  for (const entry of entries) {
    if (!byPhone.has(entry.phone)) byPhone.set(entry.phone, entry);
  }
  const list = [...byPhone.values()];
  const result: ImportResult = {
    saved: 0,
    onApp: 0,
    unchecked: 0,
    remaining: null,
    error: null,
  };
  for (let start = 0; start < list.length; start += MAX_DISCOVERY_BATCH) {
    const batch = list.slice(start, start + MAX_DISCOVERY_BATCH);
    try {
      const reply = await apiRequest(
        "POST",
        "/contacts/import",
        ImportContactsReply,
        { contacts: batch },
      );
      await db.profiles.bulkPut(reply.matches.map((match) => match.user));
      await putContacts(reply.contacts);
      result.saved += reply.contacts.length;
      result.onApp += reply.contacts.filter((c) => c.userId !== null).length;
      result.unchecked += reply.unchecked;
      result.remaining = reply.remaining;
    } catch (error) {
      log("contacts_import_failed", { start, error: String(error) });
      result.error =
        error instanceof ApiFailure
          ? error
          : new ApiFailure("internal", String(error), 0);
      break;
    }
    onProgress?.(start + batch.length, list.length);
  }
  return result;
}

/** Blocks `userId`: no presence or typing either way, no direct messages. */
export async function blockUser(userId: string) {
  await apiRequest("PUT", `/blocks/${encodeURIComponent(userId)}`, null);
  blocked.value = new Set([...blocked.value, userId]);
}

export async function unblockUser(userId: string) {
  await apiRequest("DELETE", `/blocks/${encodeURIComponent(userId)}`, null);
  const next = new Set(blocked.value);
  next.delete(userId);
  blocked.value = next;
}
