import {
  MAX_BLOCKED,
  MAX_CONTACTS,
  type Contact,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import { fail, ok, type Result } from "../../worker/result.ts";
import type { PresenceKeeper } from "./presence.ts";
import type { PresenceStore } from "./presence-store.ts";

/**
 * Contacts and blocks of one person. Both decide which watchers may get
 * this person's presence, so every change makes the PresenceKeeper
 * recompute what it sends to each watcher.
 */
export class ContactBook {
  constructor(
    private readonly presence: PresenceStore,
    private readonly keeper: PresenceKeeper,
  ) {}

  /** Saves or renames a contact; contacts may see "contacts" presence. */
  putContact(userId: string, name: string): Result<Contact> {
    const isNew = !this.presence.isContact(userId);
    if (isNew && this.presence.contactCount() >= MAX_CONTACTS) {
      return fail(
        "too_large",
        `You have ${MAX_CONTACTS} contacts, the maximum. Remove one first.`,
      );
    }
    const contact = this.presence.putContact(userId, name, Date.now());
    this.keeper.privacyChanged(Date.now());
    return ok(contact);
  }

  deleteContact(userId: string): boolean {
    const existed = this.presence.deleteContact(userId);
    if (existed) this.keeper.privacyChanged(Date.now());
    return existed;
  }

  /** Blocks a person: they see none of this person's presence or typing. */
  block(ownerId: string | undefined, userId: string): Result<null> {
    const isNew = !this.presence.isBlocked(userId);
    if (isNew && this.presence.blockedCount() >= MAX_BLOCKED) {
      return fail(
        "too_large",
        `You blocked ${MAX_BLOCKED} people, the maximum. Unblock one first.`,
      );
    }
    this.presence.block(userId, Date.now());
    this.keeper.privacyChanged(Date.now());
    log("hub.blocked", { userId: ownerId, blockedId: userId });
    return ok(null);
  }

  unblock(userId: string): boolean {
    const existed = this.presence.unblock(userId);
    if (existed) this.keeper.privacyChanged(Date.now());
    return existed;
  }
}
