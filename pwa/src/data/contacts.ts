import { computed, signal } from "@preact/signals";
import { liveQuery, type Subscription } from "dexie";
import {
  BlocksReply,
  ContactsReply,
  type Contact,
  type ServerFrame,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { contactsByUserId } from "./names.ts";
import { refreshProfiles } from "./profiles.ts";

/**
 * The person's saved contacts and blocked people. Contacts live in Dexie,
 * so that they read offline. Every tab mirrors the table into signals
 * through a live query, so a change written by any tab (or by the leader
 * tab from a `contacts` frame) shows in all of them. Blocks are a small
 * list kept in memory and loaded again at every connection.
 */

/** Saved contacts by phone number (E.164); empty until read from Dexie. */
export const contacts = signal<ReadonlyMap<string, Contact>>(new Map());

/** Saved contacts with an account, by user id. */
export const contactsByUser = computed(() =>
  contactsByUserId(contacts.value.values()),
);

/** False until the stored contacts were read once after sign-in. */
export const contactsReady = signal(false);

/** State of the latest refresh from the server. */
export const contactsRefresh = signal<"idle" | "loading" | "failed">("idle");

/** Blocked user ids; empty until loaded. */
export const blocked = signal<ReadonlySet<string>>(new Set());

let watching: Subscription | null = null;

/** Mirrors the stored contacts into `contacts`. Safe to call again. */
export function watchContacts(): void {
  if (watching !== null) return;
  watching = liveQuery(() => db.contacts.toArray()).subscribe({
    next: (rows) => {
      contacts.value = new Map(rows.map((row) => [row.phone, row]));
      contactsReady.value = true;
    },
    error: (error: unknown) => {
      log("contacts_read_failed", { error: String(error) });
    },
  });
}

/** Reads the stored contacts as JSON text by phone number. */
async function storedVersions(): Promise<Map<string, string>> {
  const rows = await db.contacts.toArray();
  return new Map(rows.map((row) => [row.phone, JSON.stringify(row)]));
}

/**
 * Replaces the stored contacts with the server's list, except the numbers
 * whose row changed since `before` was read (in any tab). Such a change
 * came from a `contacts` frame or a save reply while the list was on its
 * way, and may be newer than the list. When it is older, the frames of
 * the later changes are still on their way and bring the row up to date.
 */
async function replaceContacts(
  list: Contact[],
  before: Map<string, string>,
): Promise<void> {
  await db.transaction("rw", db.contacts, async () => {
    const now = await storedVersions();
    const changed = new Set<string>();
    for (const phone of new Set([...before.keys(), ...now.keys()])) {
      if (before.get(phone) !== now.get(phone)) changed.add(phone);
    }
    const listed = new Set(list.map((row) => row.phone));
    const stale = [...now.keys()].filter(
      (phone) => !listed.has(phone) && !changed.has(phone),
    );
    await db.contacts.bulkDelete(stale);
    await db.contacts.bulkPut(list.filter((row) => !changed.has(row.phone)));
  });
}

/**
 * Stores contact rows unless Dexie contains a newer version of the same
 * number, because a `contacts` frame and an HTTP reply about the same
 * change may arrive in either order. Returns the user ids that the stored
 * rows link to a number which had no account or another one before.
 */
export async function putContacts(rows: readonly Contact[]): Promise<string[]> {
  if (rows.length === 0) return [];
  return db.transaction("rw", db.contacts, async () => {
    const stored = await db.contacts.bulkGet(rows.map((row) => row.phone));
    const linked: string[] = [];
    const newer = rows.filter((row, index) => {
      const previous = stored[index];
      if (row.updatedAt < (previous?.updatedAt ?? 0)) return false;
      if (row.userId !== null && row.userId !== previous?.userId) {
        linked.push(row.userId);
      }
      return true;
    });
    await db.contacts.bulkPut(newer);
    return linked;
  });
}

/** Loads both lists from the server; a failure keeps the stored ones. */
export async function loadContacts(): Promise<void> {
  contactsRefresh.value = "loading";
  try {
    const before = await storedVersions();
    const [saved, blocks] = await Promise.all([
      apiRequest("GET", "/contacts", ContactsReply),
      apiRequest("GET", "/blocks", BlocksReply),
    ]);
    await replaceContacts(saved.contacts, before);
    blocked.value = new Set(blocks.blocked.map((b) => b.userId));
    contactsRefresh.value = "idle";
  } catch (error) {
    contactsRefresh.value = "failed";
    log("contacts_load_failed", { error: String(error) });
  }
}

/**
 * Applies a `contacts` frame: another device or discovery changed them.
 * The profiles of accounts newly linked to a number are fetched again, in
 * one batch, so that the Contacts screen shows their current about text
 * and photo.
 */
export async function applyContactsFrame(
  frame: Extract<ServerFrame, { type: "contacts" }>,
): Promise<void> {
  if (frame.removed.length > 0) await db.contacts.bulkDelete(frame.removed);
  refreshProfiles(await putContacts(frame.contacts));
}

/**
 * Profiles fetched less than this long ago, in ms, are not fetched again
 * when the Contacts screen opens, so that leaving and opening it again
 * sends nothing new.
 */
const CONTACT_PROFILES_MAX_AGE_MS = 60_000;

/**
 * Fetches the profiles of the saved contacts with an account again, in
 * batches of MAX_PROFILE_BATCH. Call it when the Contacts screen opens.
 *
 * NOTE: this covers every such contact, not only the rows on screen, so
 * an address book with 10,000 accounts sends 50 requests.
 */
export function refreshContactProfiles(): void {
  refreshProfiles(contactsByUser.value.keys(), CONTACT_PROFILES_MAX_AGE_MS);
}

/**
 * Forgets both lists in memory and stops mirroring Dexie, because the
 * person logged out (the caller wipes the stored rows).
 */
export function resetContacts(): void {
  watching?.unsubscribe();
  watching = null;
  contacts.value = new Map();
  contactsReady.value = false;
  contactsRefresh.value = "idle";
  blocked.value = new Set();
}
