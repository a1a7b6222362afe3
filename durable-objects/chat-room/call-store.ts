import { CALL_LOST_TIMEOUT_MS, type CallInfo } from "../../protocol/index.ts";

/**
 * The chat's calls (protocol/calls.ts). A row with `ended_at` null is the
 * live call, and the room allows one at a time. Ended rows stay, one per
 * call like the call entries in the message log. So a late hang-up or
 * timeout of an ended call is recognised and ignored, and a `call.start`
 * cannot reuse the id of any earlier call of the chat. Deadlines are server times
 * in ms, and the room's alarm fires at the earliest one.
 */
export const CALL_MIGRATION = `CREATE TABLE call (
     call_id TEXT PRIMARY KEY,
     caller_id TEXT NOT NULL,
     caller_device_id TEXT NOT NULL,
     callee_id TEXT NOT NULL,
     video INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     state TEXT NOT NULL,
     ring_deadline INTEGER NOT NULL,
     ringing_sent INTEGER NOT NULL DEFAULT 0,
     callee_device_id TEXT,
     accepted_at INTEGER,
     caller_ping_at INTEGER,
     callee_ping_at INTEGER,
     ended_at INTEGER
   );`;

export type CallState = "ringing" | "accepted";

export type CallRow = {
  call_id: string;
  caller_id: string;
  caller_device_id: string;
  callee_id: string;
  video: number;
  started_at: number;
  state: CallState;
  ring_deadline: number;
  ringing_sent: number;
  callee_device_id: string | null;
  accepted_at: number | null;
  caller_ping_at: number | null;
  callee_ping_at: number | null;
  ended_at: number | null;
};

/** Typed queries over the `call` table of one ChatRoom. All calls are sync. */
export class CallStore {
  constructor(private readonly sql: SqlStorage) {}

  byId(callId: string): CallRow | undefined {
    return this.sql
      .exec<CallRow>("SELECT * FROM call WHERE call_id = ?", callId)
      .toArray()[0];
  }

  live(): CallRow | undefined {
    return this.sql
      .exec<CallRow>("SELECT * FROM call WHERE ended_at IS NULL")
      .toArray()[0];
  }

  /** Stores a new ringing call. */
  insert(call: CallInfo, ringDeadline: number): void {
    this.sql.exec(
      `INSERT INTO call (call_id, caller_id, caller_device_id, callee_id,
         video, started_at, state, ring_deadline)
       VALUES (?, ?, ?, ?, ?, ?, 'ringing', ?)`,
      call.callId,
      call.callerId,
      call.callerDeviceId,
      call.calleeId,
      call.video ? 1 : 0,
      call.startedAt,
      ringDeadline,
    );
  }

  /**
   * Marks that the caller was sent "ringing"; returns false when it
   * already was, or the call is no longer ringing.
   */
  markRingingSent(callId: string): boolean {
    const cursor = this.sql.exec(
      `UPDATE call SET ringing_sent = 1
       WHERE call_id = ? AND state = 'ringing' AND ringing_sent = 0
         AND ended_at IS NULL`,
      callId,
    );
    return cursor.rowsWritten > 0;
  }

  accept(callId: string, calleeDeviceId: string, now: number): void {
    this.sql.exec(
      `UPDATE call SET state = 'accepted', callee_device_id = ?,
         accepted_at = ?, caller_ping_at = ?, callee_ping_at = ?
       WHERE call_id = ?`,
      calleeDeviceId,
      now,
      now,
      now,
      callId,
    );
  }

  ping(callId: string, party: "caller" | "callee", now: number): void {
    const column = party === "caller" ? "caller_ping_at" : "callee_ping_at";
    this.sql.exec(
      `UPDATE call SET ${column} = ? WHERE call_id = ?`,
      now,
      callId,
    );
  }

  end(callId: string, now: number): void {
    this.sql.exec(
      "UPDATE call SET ended_at = ? WHERE call_id = ?",
      now,
      callId,
    );
  }
}

/** Returns the call as its parties' devices see it. */
export function callInfo(row: CallRow, chatId: string): CallInfo {
  return {
    callId: row.call_id,
    chatId,
    callerId: row.caller_id,
    callerDeviceId: row.caller_device_id,
    calleeId: row.callee_id,
    video: row.video === 1,
    startedAt: row.started_at,
  };
}

/** Returns the other device of an accepted call, if `party` is in it. */
export function peerDevice(
  row: CallRow,
  party: { userId: string; deviceId: string },
): { userId: string; deviceId: string } | undefined {
  if (row.state !== "accepted" || row.callee_device_id === null) {
    return undefined;
  }
  const isCallerDevice =
    party.userId === row.caller_id && party.deviceId === row.caller_device_id;
  if (isCallerDevice) {
    return { userId: row.callee_id, deviceId: row.callee_device_id };
  }
  const isCalleeDevice =
    party.userId === row.callee_id && party.deviceId === row.callee_device_id;
  if (isCalleeDevice) {
    return { userId: row.caller_id, deviceId: row.caller_device_id };
  }
  return undefined;
}

/**
 * Returns when the live call ends unless something happens first: the
 * ring timeout, or the lost timeout after the earlier of the two pings.
 */
export function deadlineOf(row: CallRow): number {
  if (row.state === "ringing") return row.ring_deadline;
  const lastPing = Math.min(row.caller_ping_at ?? 0, row.callee_ping_at ?? 0);
  return lastPing + CALL_LOST_TIMEOUT_MS;
}
