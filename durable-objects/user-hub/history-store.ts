import { HistoryEnvelope, type HistoryStatus } from "../../protocol/index.ts";

export type HistoryState = HistoryStatus["state"];

/** One device's history transfer, as the `history_transfer` row stores it. */
export type TransferRow = {
  device_id: string;
  state: HistoryState;
  from_device_id: string | null;
  /** The uploader's name when its envelope arrived, kept after a revoke. */
  from_device_name: string | null;
  /** The HistoryEnvelope as JSON while the state is `ready`, else null. */
  envelope: string | null;
  skipped: number;
  updated_at: number;
};

const COLUMNS =
  "device_id, state, from_device_id, from_device_name, envelope, skipped, " +
  "updated_at";

/** Converts a row to the HistoryStatus that GET /api/history returns. */
export function toStatus(row: TransferRow): HistoryStatus {
  return {
    state: row.state,
    fromDeviceId: row.from_device_id,
    fromDeviceName: row.from_device_name,
    envelope:
      row.envelope === null
        ? null
        : HistoryEnvelope.parse(JSON.parse(row.envelope)),
    skipped: row.skipped === 1,
    updatedAt: row.updated_at,
  };
}

/**
 * Typed queries over the `history_transfer` table of one UserHub: one row
 * per device that signed in after the table existed. All calls are
 * synchronous.
 */
export class HistoryStore {
  constructor(private readonly sql: SqlStorage) {}

  get(deviceId: string): TransferRow | undefined {
    return this.sql
      .exec<TransferRow>(
        `SELECT ${COLUMNS} FROM history_transfer WHERE device_id = ?`,
        deviceId,
      )
      .toArray()[0];
  }

  /** Lists the devices still waiting for their history, oldest first. */
  waiting(): TransferRow[] {
    return this.sql
      .exec<TransferRow>(
        `SELECT ${COLUMNS} FROM history_transfer WHERE state = 'waiting'
         ORDER BY updated_at`,
      )
      .toArray();
  }

  /** Stores the first row of a device that just signed in. */
  insert(deviceId: string, state: "none" | "waiting", now: number): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO history_transfer (device_id, state, updated_at)
       VALUES (?, ?, ?)`,
      deviceId,
      state,
      now,
    );
  }

  /**
   * Moves a transfer from `from` to `to` and clears its envelope. Returns
   * false when the row was no longer in `from`, so concurrent calls change
   * it once.
   */
  move(
    deviceId: string,
    from: HistoryState,
    to: HistoryState,
    now: number,
    skipped = false,
  ): boolean {
    const cursor = this.sql.exec(
      `UPDATE history_transfer
       SET state = ?, envelope = NULL, skipped = ?, updated_at = ?
       WHERE device_id = ? AND state = ?`,
      to,
      skipped ? 1 : 0,
      now,
      deviceId,
      from,
    );
    return cursor.rowsWritten > 0;
  }

  /**
   * Moves a `waiting` transfer to `ready` with the uploader and its
   * envelope. Returns false when it was no longer waiting, which makes the
   * first envelope win.
   */
  markReady(
    deviceId: string,
    from: { id: string; name: string | null },
    envelope: HistoryEnvelope,
    now: number,
  ): boolean {
    const cursor = this.sql.exec(
      `UPDATE history_transfer
       SET state = 'ready', from_device_id = ?, from_device_name = ?,
         envelope = ?, updated_at = ?
       WHERE device_id = ? AND state = 'waiting'`,
      from.id,
      from.name,
      JSON.stringify(envelope),
      now,
      deviceId,
    );
    return cursor.rowsWritten > 0;
  }

  delete(deviceId: string): void {
    this.sql.exec("DELETE FROM history_transfer WHERE device_id = ?", deviceId);
  }
}
