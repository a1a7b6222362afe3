import { signal } from "@preact/signals";
import {
  BlocksReply,
  ContactReply,
  ContactsReply,
  type Contact,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { log } from "./log.ts";

/**
 * The person's saved contacts and blocked people, from the server. Both
 * are small lists that change rarely, so they live in signals and load
 * again at every start.
 */

/** Saved contacts by user id; empty until loaded. */
export const contacts = signal<ReadonlyMap<string, Contact>>(new Map());

/** Blocked user ids; empty until loaded. */
export const blocked = signal<ReadonlySet<string>>(new Set());

/** Loads both lists; a failure keeps the previous ones. */
export async function loadContacts(): Promise<void> {
  try {
    const [saved, blocks] = await Promise.all([
      apiRequest("GET", "/contacts", ContactsReply),
      apiRequest("GET", "/blocks", BlocksReply),
    ]);
    contacts.value = new Map(saved.contacts.map((c) => [c.userId, c]));
    blocked.value = new Set(blocks.blocked.map((b) => b.userId));
  } catch (error) {
    log("contacts_load_failed", { error: String(error) });
  }
}

/** Saves `userId` as a contact under `name`, or renames the contact. */
export async function addContact(userId: string, name: string) {
  const path = `/contacts/${encodeURIComponent(userId)}`;
  const { contact } = await apiRequest("PUT", path, ContactReply, { name });
  const next = new Map(contacts.value);
  next.set(userId, contact);
  contacts.value = next;
}

export async function removeContact(userId: string) {
  const path = `/contacts/${encodeURIComponent(userId)}`;
  await apiRequest("DELETE", path, null);
  const next = new Map(contacts.value);
  next.delete(userId);
  contacts.value = next;
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

/** Forgets both lists, because the person logged out. */
export function resetContacts(): void {
  contacts.value = new Map();
  blocked.value = new Set();
}
