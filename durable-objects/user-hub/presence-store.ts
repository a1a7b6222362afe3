import type { BlockedUser, Presence } from "../../protocol/index.ts";

type BlockedRow = { user_id: string; blocked_at: number };
type WatchingRow = {
  user_id: string;
  renewed_at: number;
  online: number;
  last_seen: number | null;
};

/** A subscription of this hub at another object, with its renewal time. */
export interface Subscription {
  id: string;
  renewedAt: number;
}

/**
 * Typed queries over a UserHub's presence tables: own presence, whether
 * someone is a contact, blocks, watchers (people whose hubs subscribed to this person), watching
 * (people this person's devices view) and viewing (chats the devices view).
 */
export class PresenceStore {
  constructor(private readonly sql: SqlStorage) {}

  /** This person's own presence, unfiltered. */
  own(): Presence {
    const row = this.sql
      .exec<{ online: number; last_seen_at: number | null }>(
        "SELECT online, last_seen_at FROM profile",
      )
      .toArray()[0];
    return {
      online: row?.online === 1,
      lastSeen: row?.last_seen_at ?? null,
    };
  }

  setOnline(online: boolean, now: number): void {
    if (online) {
      this.sql.exec("UPDATE profile SET online = 1");
    } else {
      this.sql.exec("UPDATE profile SET online = 0, last_seen_at = ?", now);
    }
  }

  // ---- contacts and blocks ---------------------------------------------

  /**
   * Whether a contact row carries `userId`: what "contacts" means in
   * every privacy setting. Migrated rows count before their number is
   * resolved.
   */
  isContact(userId: string): boolean {
    return (
      this.sql
        .exec("SELECT 1 FROM contacts WHERE user_id = ? LIMIT 1", userId)
        .toArray().length > 0
    );
  }

  blocked(): BlockedUser[] {
    return this.sql
      .exec<BlockedRow>(
        "SELECT user_id, blocked_at FROM blocked ORDER BY blocked_at DESC",
      )
      .toArray()
      .map((row) => ({ userId: row.user_id, blockedAt: row.blocked_at }));
  }

  isBlocked(userId: string): boolean {
    return (
      this.sql.exec("SELECT 1 FROM blocked WHERE user_id = ?", userId).toArray()
        .length > 0
    );
  }

  blockedCount(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM blocked")
      .one().n;
  }

  block(userId: string, now: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO blocked (user_id, blocked_at) VALUES (?, ?)",
      userId,
      now,
    );
  }

  unblock(userId: string): boolean {
    const cursor = this.sql.exec(
      "DELETE FROM blocked WHERE user_id = ?",
      userId,
    );
    return cursor.rowsWritten > 0;
  }

  // ---- watchers: hubs subscribed to this person's presence ---------------

  addWatcher(userId: string, expiresAt: number): void {
    this.sql.exec(
      `INSERT INTO watcher (user_id, expires_at) VALUES (?, ?)
       ON CONFLICT(user_id) DO UPDATE SET expires_at = excluded.expires_at`,
      userId,
      expiresAt,
    );
  }

  removeWatcher(userId: string): void {
    this.sql.exec("DELETE FROM watcher WHERE user_id = ?", userId);
  }

  /** Deletes expired watchers and returns the others. */
  watchers(now: number): string[] {
    this.sql.exec("DELETE FROM watcher WHERE expires_at <= ?", now);
    return this.sql
      .exec<{ user_id: string }>("SELECT user_id FROM watcher")
      .toArray()
      .map((row) => row.user_id);
  }

  // ---- watching: people this person's devices view ------------------------

  watching(): Subscription[] {
    return this.sql
      .exec<WatchingRow>("SELECT user_id, renewed_at FROM watching")
      .toArray()
      .map((row) => ({ id: row.user_id, renewedAt: row.renewed_at }));
  }

  /** Records a subscription renewal with the presence it returned. */
  setWatching(userId: string, presence: Presence, now: number): void {
    this.sql.exec(
      `INSERT INTO watching (user_id, renewed_at, online, last_seen)
       VALUES (?, ?, ?, ?)
       ON CONFLICT(user_id) DO UPDATE SET renewed_at = excluded.renewed_at,
         online = excluded.online, last_seen = excluded.last_seen`,
      userId,
      now,
      presence.online ? 1 : 0,
      presence.lastSeen,
    );
  }

  /** Updates the cached presence of a watched person; false if unwatched. */
  cachePresence(userId: string, presence: Presence): boolean {
    const cursor = this.sql.exec(
      "UPDATE watching SET online = ?, last_seen = ? WHERE user_id = ?",
      presence.online ? 1 : 0,
      presence.lastSeen,
      userId,
    );
    return cursor.rowsWritten > 0;
  }

  cachedPresence(userId: string): Presence | undefined {
    const row = this.sql
      .exec<WatchingRow>(
        "SELECT user_id, online, last_seen FROM watching WHERE user_id = ?",
        userId,
      )
      .toArray()[0];
    if (row === undefined) return undefined;
    return { online: row.online === 1, lastSeen: row.last_seen };
  }

  removeWatching(userId: string): void {
    this.sql.exec("DELETE FROM watching WHERE user_id = ?", userId);
  }

  // ---- viewing: chats this person's devices view --------------------------

  viewing(): Subscription[] {
    return this.sql
      .exec<{ chat_id: string; renewed_at: number }>(
        "SELECT chat_id, renewed_at FROM viewing",
      )
      .toArray()
      .map((row) => ({ id: row.chat_id, renewedAt: row.renewed_at }));
  }

  setViewing(chatId: string, now: number): void {
    this.sql.exec(
      `INSERT INTO viewing (chat_id, renewed_at) VALUES (?, ?)
       ON CONFLICT(chat_id) DO UPDATE SET renewed_at = excluded.renewed_at`,
      chatId,
      now,
    );
  }

  removeViewing(chatId: string): void {
    this.sql.exec("DELETE FROM viewing WHERE chat_id = ?", chatId);
  }
}
