import {
  DISCOVERY_NUMBERS_PER_DAY,
  MAX_BLOCKED,
  MAX_CONTACTS,
  MAX_DISCOVERY_BATCH,
  type Contact,
  type PublicProfile,
  type ServerFrame,
} from "../../protocol/index.ts";
import { phoneDirectory, userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { catchApiError, fail, ok, type Result } from "../../worker/result.ts";
import type { ContactStore } from "./contact-store.ts";
import {
  DiscoveryQuota,
  findAccounts,
  LOOKUP_CONCURRENCY,
  mapWithLimit,
  type NumberMatch,
  type ReserveMode,
} from "./discovery.ts";
import type { PresenceKeeper } from "./presence.ts";
import type { PresenceStore } from "./presence-store.ts";
import { profileFor } from "./profile.ts";
import type { HubStore } from "./store.ts";

/**
 * Daily checks that the background check of unchecked contacts leaves
 * unused, a tenth of the limit, so that the person's own saves and
 * lookups still find room.
 */
const RESERVED_CHECKS = DISCOVERY_NUMBERS_PER_DAY / 10;

/** Frame with the changed contacts, sent to every device of the person. */
export type ContactsFrame = Extract<ServerFrame, { type: "contacts" }>;

/** Reply to a saved contact: the row and the account found for it. */
export interface SavedContact {
  contact: Contact;
  user: PublicProfile | null;
}

export interface ImportResult {
  contacts: Contact[];
  matches: NumberMatch[];
  unchecked: number;
  remaining: number;
}

export interface DiscoverResult {
  matches: NumberMatch[];
  remaining: number;
}

/** The accounts found for numbers, before they are recorded. */
interface Lookup {
  matches: NumberMatch[];
  /** The numbers looked up: repeats and those the limit let through. */
  checked: string[];
  unchecked: number;
  remaining: number;
}

/** The outcome of checking numbers for accounts. */
interface CheckResult extends Lookup {
  /** Saved contacts whose account changed with this check. */
  linked: Contact[];
}

/**
 * Contacts and blocks of one person. Both decide which watchers may get
 * this person's presence and profile, so every change to the accounts in
 * the list or to the blocks makes the PresenceKeeper recompute what it
 * sends. Every change to the list goes to all of the person's devices in
 * a `contacts` frame.
 */
export class ContactBook {
  private legacyResolved = false;
  private legacyRun: Promise<void> | undefined;
  private uncheckedRun: Promise<void> | undefined;

  constructor(
    private readonly env: Env,
    private readonly store: HubStore,
    private readonly contacts: ContactStore,
    private readonly presence: PresenceStore,
    private readonly quota: DiscoveryQuota,
    private readonly keeper: PresenceKeeper,
    private readonly broadcast: (frame: ContactsFrame) => void,
  ) {}

  async list(): Promise<Contact[]> {
    await this.resolveLegacy();
    return this.contacts.list();
  }

  /**
   * Checks the number for an account if the daily discovery limit allows,
   * then saves or renames the contact. `user` is null when no account was
   * found or the number was not checked. When `knownUserId`, an account
   * id the caller already has, uses the number, it is linked without a
   * check.
   */
  async put(
    phone: string,
    name: string,
    knownUserId?: string,
  ): Promise<Result<SavedContact>> {
    await this.resolveLegacy();
    const full = this.rejectWhenFull(phone);
    if (full !== null) return full;
    const found =
      (await this.knownAccount(phone, knownUserId)) ??
      (await this.lookUp([phone], "partial", new Set([phone])));
    // Other requests ran during the lookup. Writing the row only now, with
    // no await before the broadcast, orders this save after a delete that
    // came meanwhile, so every device ends with the stored row.
    const fullNow = this.rejectWhenFull(phone);
    if (fullNow !== null) return fullNow;
    this.contacts.put(phone, name, Date.now());
    this.record(found);
    const contact = this.contacts.get(phone);
    if (contact === undefined) throw new Error("contact row missing after put");
    this.broadcast({ type: "contacts", contacts: [contact], removed: [] });
    return ok({ contact, user: found.matches[0]?.user ?? null });
  }

  /**
   * Returns `userId` as the account of `phone` when its profile shows
   * that number, else null. The caller learns nothing new from this,
   * because GET /api/users/:userId returns the number too, so it spends
   * no discovery check.
   */
  private async knownAccount(
    phone: string,
    userId: string | undefined,
  ): Promise<Lookup | null> {
    const me = this.store.me();
    if (userId === undefined || me === undefined || userId === me.id) {
      return null;
    }
    const user = await userHub(this.env, userId).getProfile(me.id);
    if (user?.phone !== phone) return null;
    // The directory records this person as having saved the number, so
    // that deleting the account later unlinks the contact.
    await phoneDirectory(this.env, phone).lookup(me.id);
    return {
      matches: [{ phone, user }],
      checked: [phone],
      unchecked: 0,
      remaining: this.quota.remaining(),
    };
  }

  /** Rejects a new number when the list is at MAX_CONTACTS, else null. */
  private rejectWhenFull(phone: string): Result<never> | null {
    const isNew = this.contacts.get(phone) === undefined;
    if (!isNew || this.contacts.count() < MAX_CONTACTS) return null;
    return fail(
      "too_large",
      `You have ${MAX_CONTACTS} contacts, the maximum. Remove one first.`,
    );
  }

  /** Deletes a contact; its account loses "contacts" visibility at once. */
  async delete(phone: string): Promise<boolean> {
    await this.resolveLegacy();
    const removed = this.contacts.delete(phone);
    if (removed === undefined) return false;
    if (removed.userId !== null) this.keeper.privacyChanged(Date.now());
    this.broadcast({ type: "contacts", contacts: [], removed: [phone] });
    return true;
  }

  /**
   * Saves many contacts (the last entry of a repeated number wins), then
   * checks as many of the numbers as the daily discovery limit allows.
   */
  async import(
    entries: readonly { phone: string; name: string }[],
  ): Promise<Result<ImportResult>> {
    await this.resolveLegacy();
    const names = new Map(entries.map((entry) => [entry.phone, entry.name]));
    const phones = [...names.keys()];
    const total = this.contacts.count() + this.contacts.countNew(phones);
    if (total > MAX_CONTACTS) {
      return fail(
        "too_large",
        `This import would bring your contacts to ${total}, over the maximum of ${MAX_CONTACTS}. Remove some contacts or import fewer.`,
        "contacts",
      );
    }
    const now = Date.now();
    for (const [phone, name] of names) this.contacts.put(phone, name, now);
    const checked = await this.check(phones, "partial", new Set(phones));
    const contacts = this.contacts.getMany(phones);
    this.broadcast({ type: "contacts", contacts, removed: [] });
    log("contacts.imported", {
      userId: this.store.me()?.id,
      count: phones.length,
      unchecked: checked.unchecked,
    });
    return ok({
      contacts,
      matches: checked.matches,
      unchecked: checked.unchecked,
      remaining: checked.remaining,
    });
  }

  /**
   * Checks numbers for accounts, all or none: over the daily discovery
   * limit it raises rate_limited. Saved contacts among the numbers get
   * their account recorded.
   */
  async discover(phones: readonly string[]): Promise<Result<DiscoverResult>> {
    await this.resolveLegacy();
    const saved = this.contacts.getMany(phones).map((contact) => contact.phone);
    return catchApiError(async () => {
      const checked = await this.check(phones, "all", new Set(saved));
      if (checked.linked.length > 0) {
        this.broadcast({
          type: "contacts",
          contacts: checked.linked,
          removed: [],
        });
      }
      return { matches: checked.matches, remaining: checked.remaining };
    });
  }

  /**
   * Checks one number, counting against the daily discovery limit; returns
   * the account's profile, or null when no account uses the number.
   */
  async lookup(phone: string): Promise<Result<PublicProfile | null>> {
    const result = await this.discover([phone]);
    if (!result.ok) return result;
    return ok(result.value.matches[0]?.user ?? null);
  }

  /**
   * Checks saved numbers that the daily discovery limit left unchecked,
   * oldest first and at most MAX_DISCOVERY_BATCH at a time, leaving
   * RESERVED_CHECKS of the day's checks unused. Sends a `contacts` frame
   * with the accounts it finds. A call while one runs joins that run.
   */
  checkUnchecked(): Promise<void> {
    this.uncheckedRun ??= this.runUnchecked().finally(() => {
      this.uncheckedRun = undefined;
    });
    return this.uncheckedRun;
  }

  private async runUnchecked(): Promise<void> {
    const room = this.quota.remaining() - RESERVED_CHECKS;
    if (room <= 0) return;
    const phones = this.contacts.unchecked(Math.min(room, MAX_DISCOVERY_BATCH));
    if (phones.length === 0) return;
    const found = await this.lookUp(phones, "partial", new Set(phones));
    const linked = this.record(found);
    if (linked.length > 0) {
      this.broadcast({ type: "contacts", contacts: linked, removed: [] });
    }
    log("contacts.unchecked_checked", {
      userId: this.store.me()?.id,
      checked: found.checked.length,
      linked: linked.length,
    });
  }

  /**
   * Links the saved contact of `phone` to `userId`, the account just
   * created for that number, in place of no account or a deleted one. The
   * number's directory vouches for the account, so linking it costs no
   * discovery check. Returns whether the contact is saved.
   */
  joined(phone: string, userId: string): boolean {
    const contact = this.contacts.get(phone);
    if (contact === undefined) return false;
    if (contact.userId === userId) return true;
    this.relink(phone, userId);
    log("contacts.joined", { userId: this.store.me()?.id, contactId: userId });
    return true;
  }

  /**
   * Unlinks the saved contact of `phone` from `userId`, whose account was
   * deleted, so the contact shows as not on the messenger. A contact
   * linked to another account keeps it. Returns whether the contact is
   * saved.
   */
  released(phone: string, userId: string): boolean {
    const contact = this.contacts.get(phone);
    if (contact === undefined) return false;
    if (contact.userId !== userId) return true;
    this.relink(phone, null);
    log("contacts.released", {
      userId: this.store.me()?.id,
      contactId: userId,
    });
    return true;
  }

  /** Links a saved number to `userId` (or none) and sends the change. */
  private relink(phone: string, userId: string | null): void {
    const now = Date.now();
    const linked = this.contacts.link(phone, userId, now);
    if (linked === undefined) return;
    this.contacts.markChecked([phone], now);
    this.keeper.privacyChanged(now);
    this.broadcast({ type: "contacts", contacts: [linked], removed: [] });
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

  /**
   * Reserves checks for `phones`, looks up the accounts of the allowed
   * ones and records each result in the saved contact of that number. A
   * change of account takes effect in the privacy rules at once.
   */
  private async check(
    phones: readonly string[],
    mode: ReserveMode,
    watch: ReadonlySet<string>,
  ): Promise<CheckResult> {
    const found = await this.lookUp(phones, mode, watch);
    return { ...found, linked: this.record(found) };
  }

  /**
   * Reserves checks for `phones` and looks up the allowed ones. The
   * numbers in `watch` that have no account get linked by `joined` once
   * an account is created for them.
   */
  private async lookUp(
    phones: readonly string[],
    mode: ReserveMode,
    watch: ReadonlySet<string>,
  ): Promise<Lookup> {
    const me = this.store.me();
    if (me === undefined) throw new Error("profile missing");
    const reservation = await this.quota.reserve(phones, mode);
    const viewer = { id: me.id, ownProfile: () => this.ownProfile() };
    const matches = await findAccounts(
      this.env,
      reservation.allowed,
      viewer,
      watch,
    );
    return {
      matches,
      checked: reservation.allowed,
      unchecked: new Set(phones).size - reservation.allowed.length,
      remaining: reservation.remaining,
    };
  }

  /**
   * Records the account found for each checked number in its saved
   * contact, and returns the contacts that changed.
   */
  private record(found: Lookup): Contact[] {
    const accounts = new Map(found.matches.map((m) => [m.phone, m.user.id]));
    const now = Date.now();
    const linked: Contact[] = [];
    for (const phone of found.checked) {
      const changed = this.contacts.link(
        phone,
        accounts.get(phone) ?? null,
        now,
      );
      if (changed !== undefined) linked.push(changed);
    }
    this.contacts.markChecked(found.checked, now);
    if (linked.length > 0) this.keeper.privacyChanged(now);
    return linked;
  }

  private ownProfile(): PublicProfile | null {
    const me = this.store.me();
    if (me === undefined) return null;
    return profileFor(me, { self: true, contact: false, blocked: false });
  }

  /**
   * Gives contacts migrated from the user-id keyed table their number, read
   * from each account's hub. Runs once per object instance, on the first
   * contacts request; rows whose hub fails stay unresolved until the next
   * instance tries again.
   */
  private async resolveLegacy(): Promise<void> {
    if (this.legacyResolved) return;
    this.legacyRun ??= this.runLegacy().finally(() => {
      this.legacyResolved = true;
      this.legacyRun = undefined;
    });
    await this.legacyRun;
  }

  private async runLegacy(): Promise<void> {
    const pending = this.contacts.legacy();
    if (pending.length === 0) return;
    const ownerId = this.store.me()?.id;
    const phones = await mapWithLimit(
      pending,
      LOOKUP_CONCURRENCY,
      async ({ userId }) => {
        try {
          const profile = await userHub(this.env, userId).getProfile(
            ownerId ?? userId,
          );
          return profile?.phone ?? null;
        } catch (error) {
          log("contacts.legacy_failed", {
            userId: ownerId,
            contactId: userId,
            error: errorMessage(error),
          });
          return null;
        }
      },
    );
    const now = Date.now();
    const resolved: Contact[] = [];
    pending.forEach(({ userId }, index) => {
      const phone = phones[index];
      if (phone === null || phone === undefined) return;
      resolved.push(this.contacts.resolveLegacy(userId, phone, now));
    });
    log("contacts.legacy_resolved", {
      userId: ownerId,
      resolved: resolved.length,
      pending: pending.length - resolved.length,
    });
    if (resolved.length > 0) {
      this.broadcast({ type: "contacts", contacts: resolved, removed: [] });
    }
  }
}
