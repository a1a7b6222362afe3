import type { Contact, PublicProfile } from "../../../protocol/index.ts";

/**
 * Returns the account that a saved contact links to, or null when it links
 * to none or to one that `profile` shows deleted. The server unlinks such
 * contacts when the account is deleted, but a device can still hold the
 * old link, and an old contact can stay linked until its number is checked
 * again.
 */
export function contactAccount(
  contact: Contact,
  profile: PublicProfile | undefined,
): string | null {
  if (contact.userId === null) return null;
  const deleted = profile?.id === contact.userId && profile.deleted === true;
  return deleted ? null : contact.userId;
}
