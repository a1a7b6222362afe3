import type { Me } from "../../protocol/index.ts";

/**
 * The tombstone of a deleted account. The hub keeps it after erasing
 * everything else, so that the account's old sessions get a clear
 * "account deleted" reply and other people see a "Deleted account"
 * profile instead of an unknown id.
 */
export const ERASE_MIGRATION = `CREATE TABLE deleted_account (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     user_id TEXT NOT NULL,
     deleted_at INTEGER NOT NULL
   );`;

/** Summary of an erased account, for the Worker's log. */
export interface ErasedAccount {
  /** The devices that were signed in. */
  deviceIds: string[];
}

/** Tables whose rows survive erasing: the schema version and tombstone. */
const KEPT_TABLES = ["schema_meta", "deleted_account"];

/**
 * Deletes every row of every table of the hub, then writes the tombstone.
 * Tables are listed from sqlite_master, so a table added by a later
 * migration is erased without changing this function. The runtime's own
 * `_cf_` tables and SQLite's `sqlite_` tables are left alone.
 */
export function eraseTables(sql: SqlStorage, me: Me, now: number): void {
  const tables = sql
    .exec<{ name: string }>(
      `SELECT name FROM sqlite_master
       WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
         AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'`,
    )
    .toArray()
    .map((row) => row.name)
    .filter((name) => !KEPT_TABLES.includes(name));
  for (const name of tables) sql.exec(`DELETE FROM "${name}"`);
  sql.exec(
    `INSERT OR REPLACE INTO deleted_account (id, user_id, deleted_at)
     VALUES (1, ?, ?)`,
    me.id,
    now,
  );
}

/** Returns whether the hub's account was deleted. */
export function isErased(sql: SqlStorage): boolean {
  return (
    sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM deleted_account").one()
      .n > 0
  );
}
