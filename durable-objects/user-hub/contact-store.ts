import type { Contact } from "../../protocol/index.ts";

type ContactRow = {
  phone: string;
  name: string;
  user_id: string | null;
  added_at: number;
  updated_at: number;
};

/** A contact saved before numbers were the key, still without its number. */
export interface LegacyContact {
  userId: string;
  name: string;
}

const COLUMNS = "phone, name, user_id, added_at, updated_at";

function toContact(row: ContactRow): Contact {
  return {
    phone: row.phone,
    name: row.name,
    userId: row.user_id,
    addedAt: row.added_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Typed queries over a UserHub's `contacts` table: one row per phone
 * number, with the account using it in `user_id` once discovery found
 * one. `checked_at` is the time of the latest check, or null while the
 * daily discovery limit left the number unchecked. Rows migrated from
 * the user-id keyed table have a null phone until their number is
 * resolved. They still count as contacts for privacy, but they are listed
 * and changed only once resolved.
 */
export class ContactStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Lists the contacts that have a number, by name. */
  list(): Contact[] {
    return this.sql
      .exec<ContactRow>(
        `SELECT ${COLUMNS} FROM contacts WHERE phone IS NOT NULL
         ORDER BY name, phone`,
      )
      .toArray()
      .map(toContact);
  }

  get(phone: string): Contact | undefined {
    const row = this.sql
      .exec<ContactRow>(
        `SELECT ${COLUMNS} FROM contacts WHERE phone = ?`,
        phone,
      )
      .toArray()[0];
    return row === undefined ? undefined : toContact(row);
  }

  /** Returns the saved contacts among `phones`, in no particular order. */
  getMany(phones: readonly string[]): Contact[] {
    return this.sql
      .exec<ContactRow>(
        `SELECT ${COLUMNS} FROM contacts
         WHERE phone IN (SELECT value FROM json_each(?))`,
        JSON.stringify(phones),
      )
      .toArray()
      .map(toContact);
  }

  /** Counts every row, unresolved ones included. */
  count(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM contacts")
      .one().n;
  }

  /** Counts the numbers among `phones` that are not saved yet. */
  countNew(phones: readonly string[]): number {
    const saved = this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM contacts
         WHERE phone IN (SELECT value FROM json_each(?))`,
        JSON.stringify(phones),
      )
      .one().n;
    return phones.length - saved;
  }

  /**
   * Adds a number or renames its contact. A new row has no account until
   * discovery links one; an existing row keeps its account and `added_at`.
   */
  put(phone: string, name: string, now: number): Contact {
    this.sql.exec(
      `INSERT INTO contacts (phone, name, user_id, added_at, updated_at)
       VALUES (?1, ?2, NULL, ?3, ?3)
       ON CONFLICT(phone) DO UPDATE SET name = excluded.name,
         updated_at = CASE WHEN name = excluded.name THEN updated_at
           ELSE excluded.updated_at END`,
      phone,
      name,
      now,
    );
    const saved = this.get(phone);
    if (saved === undefined) throw new Error("contact row missing after put");
    return saved;
  }

  /** Deletes a contact and returns the deleted row, or undefined. */
  delete(phone: string): Contact | undefined {
    const row = this.get(phone);
    if (row !== undefined) {
      this.sql.exec("DELETE FROM contacts WHERE phone = ?", phone);
    }
    return row;
  }

  /** Notes that `phones` were checked for an account at `now`. */
  markChecked(phones: readonly string[], now: number): void {
    if (phones.length === 0) return;
    this.sql.exec(
      `UPDATE contacts SET checked_at = ?
       WHERE phone IN (SELECT value FROM json_each(?))`,
      now,
      JSON.stringify(phones),
    );
  }

  /** Lists up to `limit` saved numbers never checked, oldest saved first. */
  unchecked(limit: number): string[] {
    return this.sql
      .exec<{ phone: string }>(
        `SELECT phone FROM contacts
         WHERE checked_at IS NULL AND phone IS NOT NULL
         ORDER BY added_at, phone LIMIT ?`,
        limit,
      )
      .toArray()
      .map((row) => row.phone);
  }

  /**
   * Records the account using a saved number, or null for none. Returns
   * the row when this changed it, else undefined (the same account, or no
   * such contact).
   */
  link(phone: string, userId: string | null, now: number): Contact | undefined {
    const cursor = this.sql.exec(
      `UPDATE contacts SET user_id = ?, updated_at = ?
       WHERE phone = ? AND user_id IS NOT ?`,
      userId,
      now,
      phone,
      userId,
    );
    return cursor.rowsWritten > 0 ? this.get(phone) : undefined;
  }

  /**
   * Lists the migrated rows whose number is not resolved yet.
   * NOTE: such a row counts for privacy but cannot be listed or deleted
   * until its account's hub returns a profile. A row whose account has no
   * profile stays that way for good.
   */
  legacy(): LegacyContact[] {
    return this.sql
      .exec<{ user_id: string; name: string }>(
        "SELECT user_id, name FROM contacts WHERE phone IS NULL",
      )
      .toArray()
      .map((row) => ({ userId: row.user_id, name: row.name }));
  }

  /**
   * Gives a migrated row its number. When the person saved that number
   * again meanwhile, the newer row wins and takes the account; the
   * migrated row goes. Returns the row now stored for the number.
   */
  resolveLegacy(userId: string, phone: string, now: number): Contact {
    if (this.get(phone) === undefined) {
      this.sql.exec(
        `UPDATE contacts SET phone = ?, updated_at = ?
         WHERE phone IS NULL AND user_id = ?`,
        phone,
        now,
        userId,
      );
    } else {
      this.link(phone, userId, now);
      this.markChecked([phone], now);
      this.sql.exec(
        "DELETE FROM contacts WHERE phone IS NULL AND user_id = ?",
        userId,
      );
    }
    const saved = this.get(phone);
    if (saved === undefined) throw new Error("contact row missing");
    return saved;
  }
}
