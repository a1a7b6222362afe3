import type { Contact, PublicProfile } from "../../../protocol/index.ts";

/**
 * A person's name as the app shows it. As on WhatsApp, the name saved in
 * the viewer's contacts wins, and anyone else shows as their phone number
 * followed by the name they gave themselves ("+44 7700 900123 ~Ana").
 */
export type ResolvedName =
  | { kind: "me" }
  | { kind: "contact"; name: string }
  | { kind: "unknown"; phone: string; profileName: string }
  /** The account was deleted; its name, number and photo are gone. */
  | { kind: "deleted" }
  /** Neither a saved contact nor a cached profile: not known yet. */
  | { kind: "loading" };

/** Resolves a person's name from the viewer's contact and their profile. */
export function resolveName(
  userId: string,
  me: string | undefined,
  contact: Contact | undefined,
  profile: PublicProfile | undefined,
): ResolvedName {
  if (userId === me) return { kind: "me" };
  // A saved contact name would name whoever owns the number now.
  if (profile?.id === userId && profile.deleted === true) {
    return { kind: "deleted" };
  }
  if (contact !== undefined && contact.userId === userId) {
    return { kind: "contact", name: contact.name };
  }
  if (profile === undefined || profile.id !== userId)
    return { kind: "loading" };
  return {
    kind: "unknown",
    phone: profile.phone,
    profileName: profile.displayName.trim(),
  };
}

/** Text shown while a person's profile is not loaded yet. */
export const LOADING_NAME = "…";

/** Name shown for a person whose account was deleted. */
export const DELETED_NAME = "Deleted account";

/**
 * Returns a resolved name as one line of text. `formatPhone` turns the
 * E.164 number into the form shown; `you` is the text for the viewer.
 */
export function nameText(
  name: ResolvedName,
  formatPhone: (e164: string) => string = (e164) => e164,
  you = "You",
): string {
  switch (name.kind) {
    case "me":
      return you;
    case "contact":
      return name.name;
    case "unknown": {
      const phone = formatPhone(name.phone);
      return name.profileName === "" ? phone : `${phone} ~${name.profileName}`;
    }
    case "deleted":
      return DELETED_NAME;
    case "loading":
      return LOADING_NAME;
  }
}

/** Returns the saved contacts that have an account, by user id. */
export function contactsByUserId(
  contacts: Iterable<Contact>,
): Map<string, Contact> {
  const byUser = new Map<string, Contact>();
  for (const contact of contacts) {
    if (contact.userId !== null && !byUser.has(contact.userId)) {
      byUser.set(contact.userId, contact);
    }
  }
  return byUser;
}
