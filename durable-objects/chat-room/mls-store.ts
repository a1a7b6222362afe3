import type { GroupDevice, PendingWelcome } from "../../protocol/index.ts";

/**
 * Tables of the chat's MLS group, as the delivery service keeps it.
 *
 * - `mls_group`: one row with the group's epoch (no row means epoch 0, no
 *   group yet) and the seq of its last commit in the message log.
 * - `mls_device`: the devices in the group. `stale` is 1 once the device
 *   asked to be added again after losing its group state.
 * - `mls_welcome` and `mls_welcome_tree`: the Welcome and ratchet tree of
 *   one commit, stored once however many devices it added. They are two
 *   tables because each value may be up to MAX_HANDSHAKE_CHARS, and one row
 *   holding both could pass the 2 MB row limit that Cloudflare documents
 *   for SQLite-backed Durable Objects (local workerd does not enforce it).
 * - `mls_pending_welcome`: per device, the epoch of the Welcome that waits
 *   for it. A newer Welcome replaces an older one.
 * - `mls_request_add`: when each device last asked to be added.
 */
export const MLS_MIGRATION = `CREATE TABLE mls_group (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     epoch INTEGER NOT NULL,
     commit_seq INTEGER NOT NULL
   );
   CREATE TABLE mls_device (
     device_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     stale INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE mls_welcome (
     epoch INTEGER PRIMARY KEY,
     welcome TEXT NOT NULL
   );
   CREATE TABLE mls_welcome_tree (
     epoch INTEGER PRIMARY KEY,
     ratchet_tree TEXT NOT NULL
   );
   CREATE TABLE mls_pending_welcome (
     device_id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     epoch INTEGER NOT NULL
   );
   CREATE TABLE mls_request_add (
     device_id TEXT PRIMARY KEY,
     requested_at INTEGER NOT NULL
   );`;

/** A device in the group, with whether it asked to be added again. */
export interface GroupMember extends GroupDevice {
  stale: boolean;
}

/** The changes one commit makes to the stored group. */
export interface GroupChange {
  epoch: number;
  commitSeq: number;
  /** Devices that join the group, the creating device included. */
  joined: GroupDevice[];
  removed: GroupDevice[];
  /** Welcome for the devices the commit adds; absent when it adds none. */
  welcome?: { welcome: string; ratchetTree: string; devices: GroupDevice[] };
}

/** Typed queries over the MLS tables of one ChatRoom. All calls are sync. */
export class MlsStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Returns the epoch (0 before the first commit) and last commit seq. */
  group(): { epoch: number; commitSeq: number } {
    const row = this.sql
      .exec<{ epoch: number; commit_seq: number }>(
        "SELECT epoch, commit_seq FROM mls_group",
      )
      .toArray()[0];
    return { epoch: row?.epoch ?? 0, commitSeq: row?.commit_seq ?? 0 };
  }

  /** Devices in the group, in the order they joined it. */
  devices(): GroupMember[] {
    return this.sql
      .exec<{ device_id: string; user_id: string; stale: number }>(
        "SELECT device_id, user_id, stale FROM mls_device ORDER BY rowid",
      )
      .toArray()
      .map((row) => ({
        userId: row.user_id,
        deviceId: row.device_id,
        stale: row.stale === 1,
      }));
  }

  /** Returns the device when it is in the group under `userId`. */
  device(userId: string, deviceId: string): GroupMember | undefined {
    const row = this.sql
      .exec<{ stale: number }>(
        "SELECT stale FROM mls_device WHERE device_id = ? AND user_id = ?",
        deviceId,
        userId,
      )
      .toArray()[0];
    if (row === undefined) return undefined;
    return { userId, deviceId, stale: row.stale === 1 };
  }

  markStale(deviceId: string): void {
    this.sql.exec(
      "UPDATE mls_device SET stale = 1 WHERE device_id = ?",
      deviceId,
    );
  }

  /** Returns the Welcome waiting for a device, or null. */
  pendingWelcome(userId: string, deviceId: string): PendingWelcome | null {
    const row = this.sql
      .exec<{ epoch: number; welcome: string; ratchet_tree: string }>(
        `SELECT p.epoch, w.welcome, t.ratchet_tree
         FROM mls_pending_welcome p
         JOIN mls_welcome w ON w.epoch = p.epoch
         JOIN mls_welcome_tree t ON t.epoch = p.epoch
         WHERE p.device_id = ? AND p.user_id = ?`,
        deviceId,
        userId,
      )
      .toArray()[0];
    if (row === undefined) return null;
    return {
      epoch: row.epoch,
      welcome: row.welcome,
      ratchetTree: row.ratchet_tree,
    };
  }

  /**
   * Records one accepted commit: the new epoch and commit seq, the removed
   * devices leave with their pending Welcomes, the added ones join with
   * theirs, and Welcomes no device waits for any more are deleted.
   */
  applyCommit(change: GroupChange): void {
    this.sql.exec(
      `INSERT INTO mls_group (id, epoch, commit_seq) VALUES (1, ?1, ?2)
       ON CONFLICT (id) DO UPDATE SET epoch = ?1, commit_seq = ?2`,
      change.epoch,
      change.commitSeq,
    );
    for (const device of change.removed) {
      this.sql.exec(
        "DELETE FROM mls_device WHERE device_id = ?",
        device.deviceId,
      );
      this.sql.exec(
        "DELETE FROM mls_pending_welcome WHERE device_id = ?",
        device.deviceId,
      );
    }
    for (const device of change.joined) {
      this.sql.exec(
        "INSERT INTO mls_device (device_id, user_id) VALUES (?, ?)",
        device.deviceId,
        device.userId,
      );
    }
    if (change.welcome !== undefined && change.welcome.devices.length > 0) {
      this.storeWelcome(change.epoch, change.welcome);
    }
    this.deleteUnusedWelcomes();
  }

  /** Deletes the Welcome waiting for a device, if any. */
  dropWelcome(deviceId: string): void {
    this.sql.exec(
      "DELETE FROM mls_pending_welcome WHERE device_id = ?",
      deviceId,
    );
    this.deleteUnusedWelcomes();
  }

  /** Returns when the device last asked to be added, or undefined. */
  requestedAddAt(deviceId: string): number | undefined {
    return this.sql
      .exec<{ requested_at: number }>(
        "SELECT requested_at FROM mls_request_add WHERE device_id = ?",
        deviceId,
      )
      .toArray()[0]?.requested_at;
  }

  recordRequestAdd(deviceId: string, now: number): void {
    this.sql.exec(
      `INSERT INTO mls_request_add (device_id, requested_at) VALUES (?1, ?2)
       ON CONFLICT (device_id) DO UPDATE SET requested_at = ?2`,
      deviceId,
      now,
    );
  }

  private storeWelcome(
    epoch: number,
    welcome: { welcome: string; ratchetTree: string; devices: GroupDevice[] },
  ): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO mls_welcome (epoch, welcome) VALUES (?, ?)",
      epoch,
      welcome.welcome,
    );
    this.sql.exec(
      "INSERT OR REPLACE INTO mls_welcome_tree (epoch, ratchet_tree) VALUES (?, ?)",
      epoch,
      welcome.ratchetTree,
    );
    for (const device of welcome.devices) {
      this.sql.exec(
        `INSERT OR REPLACE INTO mls_pending_welcome (device_id, user_id, epoch)
         VALUES (?, ?, ?)`,
        device.deviceId,
        device.userId,
        epoch,
      );
    }
  }

  private deleteUnusedWelcomes(): void {
    const unused = "epoch NOT IN (SELECT epoch FROM mls_pending_welcome)";
    this.sql.exec(`DELETE FROM mls_welcome WHERE ${unused}`);
    this.sql.exec(`DELETE FROM mls_welcome_tree WHERE ${unused}`);
  }
}
