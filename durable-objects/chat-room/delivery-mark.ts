/**
 * A seq at or below which the room called every recipient's hub, so a
 * room that restarts can tell which live deliveries it may have lost. It
 * lags behind the deliveries by up to DELIVERY_CHECK_MS. Rows stored
 * before this table existed count as delivered.
 */
export const DELIVERY_MARK_MIGRATION = `CREATE TABLE delivery_mark (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     done_seq INTEGER NOT NULL
   );
   INSERT INTO delivery_mark (id, done_seq)
     SELECT 1, COALESCE(MAX(seq), 0) FROM message;`;

/**
 * Time after the first queued delivery when the room's alarm fires, in
 * ms. The alarm moves the delivery mark, and a room reset with messages
 * queued starts again then at the latest and queues them once more. A
 * restart sends again at most about this much of already delivered
 * traffic, which hubs skip. Rooms with no traffic set no alarm.
 */
export const DELIVERY_CHECK_MS = 10_000;

/** Reads and moves the room's delivery mark, one row in SQLite. */
export class DeliveryMark {
  private cached: number | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /**
   * Sets the room's alarm to DELIVERY_CHECK_MS from now unless an earlier
   * one is set, so a reset room wakes up without waiting for a request.
   */
  async armCheck(): Promise<void> {
    const next = Date.now() + DELIVERY_CHECK_MS;
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  doneSeq(): number {
    this.cached ??=
      this.sql
        .exec<{ n: number }>("SELECT done_seq AS n FROM delivery_mark")
        .toArray()[0]?.n ?? 0;
    return this.cached;
  }

  /** Moves the mark forward to `seq`; never back. */
  advance(seq: number): void {
    if (seq <= this.doneSeq()) return;
    this.sql.exec(
      `INSERT INTO delivery_mark (id, done_seq) VALUES (1, ?1)
       ON CONFLICT (id) DO UPDATE SET done_seq = MAX(done_seq, ?1)`,
      seq,
    );
    this.cached = seq;
  }
}
