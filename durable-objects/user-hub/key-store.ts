/**
 * Typed queries over a UserHub's MLS KeyPackage tables. `key_package` is
 * the stock: single-use KeyPackages, one row each, handed out oldest first.
 * A KeyPackage string is unique across the hub, so it is stored once even
 * when published twice. `last_resort_key_package` has at most one row per
 * device: the KeyPackage that claims return, and keep, once the stock is
 * empty.
 */
export class KeyStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Counts the unclaimed KeyPackages of a device's stock. */
  stock(deviceId: string): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM key_package WHERE device_id = ?",
        deviceId,
      )
      .one().n;
  }

  hasLastResort(deviceId: string): boolean {
    return this.lastResort(deviceId) !== undefined;
  }

  lastResort(deviceId: string): string | undefined {
    return this.sql
      .exec<{ key_package: string }>(
        "SELECT key_package FROM last_resort_key_package WHERE device_id = ?",
        deviceId,
      )
      .toArray()[0]?.key_package;
  }

  /** Counts the distinct strings of `keyPackages` not stored yet. */
  countNew(keyPackages: readonly string[]): number {
    if (keyPackages.length === 0) return 0;
    return this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(DISTINCT value) AS n FROM json_each(?)
         WHERE value NOT IN (SELECT key_package FROM key_package)`,
        JSON.stringify(keyPackages),
      )
      .one().n;
  }

  /** Adds KeyPackages to a device's stock, skipping those already stored. */
  add(deviceId: string, keyPackages: readonly string[], now: number): void {
    if (keyPackages.length === 0) return;
    this.sql.exec(
      `INSERT OR IGNORE INTO key_package (device_id, key_package, published_at)
       SELECT ?, value, ? FROM json_each(?) ORDER BY key`,
      deviceId,
      now,
      JSON.stringify(keyPackages),
    );
  }

  setLastResort(deviceId: string, keyPackage: string, now: number): void {
    this.sql.exec(
      `INSERT INTO last_resort_key_package (device_id, key_package, published_at)
       VALUES (?, ?, ?)
       ON CONFLICT(device_id) DO UPDATE SET key_package = excluded.key_package,
         published_at = excluded.published_at`,
      deviceId,
      keyPackage,
      now,
    );
  }

  /**
   * Removes and returns the oldest KeyPackage of a device's stock, or
   * undefined when the stock is empty. The read and the delete are one
   * statement, so two claims can never take the same row.
   */
  take(deviceId: string): string | undefined {
    return this.sql
      .exec<{ key_package: string }>(
        `DELETE FROM key_package WHERE id = (
           SELECT id FROM key_package WHERE device_id = ? ORDER BY id LIMIT 1
         ) RETURNING key_package`,
        deviceId,
      )
      .toArray()[0]?.key_package;
  }

  /** Deletes a device's stock and its last-resort KeyPackage. */
  deleteDevice(deviceId: string): void {
    this.sql.exec("DELETE FROM key_package WHERE device_id = ?", deviceId);
    this.sql.exec(
      "DELETE FROM last_resort_key_package WHERE device_id = ?",
      deviceId,
    );
  }
}
