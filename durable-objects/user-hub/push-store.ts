import type { PushSubscriptionBody } from "../../protocol/index.ts";

/** A device's stored Web Push subscription. */
export interface StoredSubscription {
  deviceId: string;
  endpoint: string;
  expirationTime: number | null;
  keys: { p256dh: string; auth: string };
}

type SubscriptionRow = {
  device_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  expiration_time: number | null;
};

function toSubscription(row: SubscriptionRow): StoredSubscription {
  return {
    deviceId: row.device_id,
    endpoint: row.endpoint,
    expirationTime: row.expiration_time,
    keys: { p256dh: row.p256dh, auth: row.auth },
  };
}

/**
 * Typed queries over the push tables of one UserHub: one subscription per
 * device, and the `pushed_seq` column of the inbox. All calls are sync.
 */
export class PushStore {
  /**
   * The rows of `push_subscription`, read once and dropped by every write
   * below. This class is the only writer of that table, so the copy stays
   * current, and each live delivery after the first reads no rows for it.
   */
  private cachedSubscriptions: StoredSubscription[] | undefined;

  constructor(private readonly sql: SqlStorage) {}

  /** Drops the cached rows after the table was emptied elsewhere. */
  forgetCache(): void {
    this.cachedSubscriptions = undefined;
  }

  subscription(deviceId: string): StoredSubscription | undefined {
    const row = this.sql
      .exec<SubscriptionRow>(
        `SELECT device_id, endpoint, p256dh, auth, expiration_time
         FROM push_subscription WHERE device_id = ?`,
        deviceId,
      )
      .toArray()[0];
    return row === undefined ? undefined : toSubscription(row);
  }

  /** Returns every device's subscription, oldest first. */
  subscriptions(): StoredSubscription[] {
    this.cachedSubscriptions ??= this.sql
      .exec<SubscriptionRow>(
        `SELECT device_id, endpoint, p256dh, auth, expiration_time
         FROM push_subscription ORDER BY created_at`,
      )
      .toArray()
      .map(toSubscription);
    return [...this.cachedSubscriptions];
  }

  /**
   * Stores or replaces the subscription of a device. An endpoint belongs
   * to one browser install, so another device's row with the same
   * endpoint (an earlier sign-in of that browser) is deleted.
   */
  put(deviceId: string, body: PushSubscriptionBody, now: number): void {
    this.cachedSubscriptions = undefined;
    this.sql.exec(
      "DELETE FROM push_subscription WHERE endpoint = ? AND device_id != ?",
      body.endpoint,
      deviceId,
    );
    this.sql.exec(
      `INSERT INTO push_subscription
         (device_id, endpoint, p256dh, auth, expiration_time, created_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(device_id) DO UPDATE SET
         endpoint = excluded.endpoint, p256dh = excluded.p256dh,
         auth = excluded.auth, expiration_time = excluded.expiration_time`,
      deviceId,
      body.endpoint,
      body.keys.p256dh,
      body.keys.auth,
      body.expirationTime ?? null,
      now,
    );
  }

  /** Deletes a device's subscription; false when it had none. */
  delete(deviceId: string): boolean {
    this.cachedSubscriptions = undefined;
    const cursor = this.sql.exec(
      "DELETE FROM push_subscription WHERE device_id = ?",
      deviceId,
    );
    return cursor.rowsWritten > 0;
  }

  /**
   * Deletes the subscription of `deviceId` only while it still has
   * `endpoint`, so a push that failed on an old endpoint does not delete
   * a subscription the device renewed meanwhile.
   */
  deleteExpired(deviceId: string, endpoint: string): boolean {
    this.cachedSubscriptions = undefined;
    const cursor = this.sql.exec(
      "DELETE FROM push_subscription WHERE device_id = ? AND endpoint = ?",
      deviceId,
      endpoint,
    );
    return cursor.rowsWritten > 0;
  }

  /** Returns the newest seq a message push of the chat went out for. */
  pushedSeq(chatId: string): number {
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT pushed_seq AS n FROM inbox WHERE chat_id = ?",
        chatId,
      )
      .toArray()[0];
    return row?.n ?? 0;
  }

  setPushedSeq(chatId: string, seq: number): void {
    this.sql.exec(
      "UPDATE inbox SET pushed_seq = MAX(pushed_seq, ?) WHERE chat_id = ?",
      seq,
      chatId,
    );
  }
}
