/**
 * Brings an object's SQLite schema up to date. `migrations[i]` moves the
 * schema from version i to i + 1; the current version lives in the
 * `schema_meta` table. Run it inside `blockConcurrencyWhile` in the
 * constructor, so no request reads a half-migrated schema.
 */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
  );
  const row = sql
    .exec<{ value: number }>(
      "SELECT value FROM schema_meta WHERE key = 'version'",
    )
    .toArray()[0];
  let version = row?.value ?? 0;
  while (version < migrations.length) {
    sql.exec(migrations[version] ?? "");
    version += 1;
    sql.exec(
      "INSERT INTO schema_meta (key, value) VALUES ('version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      version,
    );
  }
}
