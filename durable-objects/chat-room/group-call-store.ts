import type {
  CallPublicKey,
  GroupCallInfo,
  GroupCallParticipant,
  GroupCallProvider,
  GroupCallTrack,
} from "../../protocol/index.ts";

/**
 * The chat's group call (protocol/group-calls.ts). A `group_call` row
 * with `ended_at` null is the running call. The room allows one at a
 * time, and ended rows are dropped when the next call starts. Each device
 * in the call has a `group_call_participant` row. `sfu_session_id` is the
 * SFU session the Worker's proxy created for that device, which only that
 * device may use; `session_id` is the one it announced to the others.
 * `group_call_ring` lists the members rung when the call started, until
 * they join or decline or the ring time passes. Times are server ms.
 */
export const GROUP_CALL_MIGRATION = `CREATE TABLE group_call (
     call_id TEXT PRIMARY KEY,
     started_by TEXT NOT NULL,
     started_at INTEGER NOT NULL,
     video INTEGER NOT NULL,
     taken_part TEXT NOT NULL DEFAULT '[]',
     ended_at INTEGER
   );
   CREATE TABLE group_call_participant (
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     call_id TEXT NOT NULL,
     sfu_session_id TEXT,
     session_id TEXT,
     tracks TEXT NOT NULL DEFAULT '[]',
     audio INTEGER NOT NULL,
     video INTEGER NOT NULL,
     screen INTEGER NOT NULL DEFAULT 0,
     joined_at INTEGER NOT NULL,
     ping_at INTEGER NOT NULL,
     reconnecting INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (user_id, device_id)
   );
   CREATE TABLE group_call_ring (
     user_id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     pushed INTEGER NOT NULL,
     until INTEGER NOT NULL
   );`;

/**
 * The call's provider (GroupCallProvider) and, for "realtimekit", the
 * call's one meeting and each device's meeting participant id, both set
 * on the device's first token request. Participant ids live apart from
 * the participant rows, because a device that the room drops and admits
 * again gets a new row but stays the same meeting participant.
 */
export const GROUP_CALL_PROVIDER_MIGRATION = `ALTER TABLE group_call
     ADD COLUMN provider TEXT NOT NULL DEFAULT 'sfu';
   ALTER TABLE group_call ADD COLUMN rtk_meeting_id TEXT;
   CREATE TABLE group_call_meeting_participant (
     call_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     device_id TEXT NOT NULL,
     participant_id TEXT NOT NULL,
     PRIMARY KEY (call_id, user_id, device_id)
   );`;

/**
 * Each participant's signed call key (CallPublicKey as JSON), which the
 * other participants seal their media keys to; null until it sends one.
 */
export const GROUP_CALL_KEY_MIGRATION = `ALTER TABLE group_call_participant
     ADD COLUMN call_key TEXT;`;

export type GroupCallRow = {
  call_id: string;
  started_by: string;
  started_at: number;
  video: number;
  taken_part: string;
  ended_at: number | null;
  provider: GroupCallProvider;
  rtk_meeting_id: string | null;
};

export type ParticipantRow = {
  user_id: string;
  device_id: string;
  call_id: string;
  sfu_session_id: string | null;
  session_id: string | null;
  tracks: string;
  audio: number;
  video: number;
  screen: number;
  joined_at: number;
  ping_at: number;
  reconnecting: number;
  call_key: string | null;
};

export type RingRow = {
  user_id: string;
  call_id: string;
  pushed: number;
  until: number;
};

/** A device of a person, as the room names the caller of an RPC. */
export interface DeviceRef {
  userId: string;
  deviceId: string;
}

/** The state a device announces with `groupcall.update`. */
export interface MediaState {
  sessionId: string | null;
  tracks: GroupCallTrack[];
  audio: boolean;
  video: boolean;
  screen: boolean;
}

/** Typed queries over the group call tables of one ChatRoom. All sync. */
export class GroupCallStore {
  constructor(private readonly sql: SqlStorage) {}

  running(): GroupCallRow | undefined {
    return this.sql
      .exec<GroupCallRow>("SELECT * FROM group_call WHERE ended_at IS NULL")
      .toArray()[0];
  }

  byId(callId: string): GroupCallRow | undefined {
    return this.sql
      .exec<GroupCallRow>("SELECT * FROM group_call WHERE call_id = ?", callId)
      .toArray()[0];
  }

  /** Stores a new running call and drops the rows of ended ones. */
  start(
    callId: string,
    startedBy: string,
    video: boolean,
    now: number,
    provider: GroupCallProvider,
  ) {
    this.sql.exec("DELETE FROM group_call WHERE ended_at IS NOT NULL");
    this.sql.exec("DELETE FROM group_call_meeting_participant");
    this.sql.exec(
      `INSERT INTO group_call (call_id, started_by, started_at, video,
         provider)
       VALUES (?, ?, ?, ?, ?)`,
      callId,
      startedBy,
      now,
      video ? 1 : 0,
      provider,
    );
  }

  /** Records the RealtimeKit meeting created for the call. */
  setMeeting(callId: string, meetingId: string): void {
    this.sql.exec(
      "UPDATE group_call SET rtk_meeting_id = ? WHERE call_id = ?",
      meetingId,
      callId,
    );
  }

  /** Records the meeting participant id of a device in the call. */
  setMeetingParticipant(
    callId: string,
    device: DeviceRef,
    participantId: string,
  ): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO group_call_meeting_participant
         (call_id, user_id, device_id, participant_id)
       VALUES (?, ?, ?, ?)`,
      callId,
      device.userId,
      device.deviceId,
      participantId,
    );
  }

  /** Returns the meeting participant id of a device in the call. */
  meetingParticipant(callId: string, device: DeviceRef): string | undefined {
    return this.sql
      .exec<{ participant_id: string }>(
        `SELECT participant_id FROM group_call_meeting_participant
         WHERE call_id = ? AND user_id = ? AND device_id = ?`,
        callId,
        device.userId,
        device.deviceId,
      )
      .toArray()[0]?.participant_id;
  }

  /** Marks the call ended and drops its participant and ring rows. */
  end(callId: string, now: number): void {
    this.sql.exec(
      "UPDATE group_call SET ended_at = ? WHERE call_id = ?",
      now,
      callId,
    );
    this.sql.exec("DELETE FROM group_call_participant");
    this.sql.exec("DELETE FROM group_call_ring");
  }

  participants(): ParticipantRow[] {
    return this.sql
      .exec<ParticipantRow>(
        "SELECT * FROM group_call_participant ORDER BY joined_at, device_id",
      )
      .toArray();
  }

  participant(device: DeviceRef): ParticipantRow | undefined {
    return this.sql
      .exec<ParticipantRow>(
        `SELECT * FROM group_call_participant
         WHERE user_id = ? AND device_id = ?`,
        device.userId,
        device.deviceId,
      )
      .toArray()[0];
  }

  /** Returns the participant row of a device, found by its id alone. */
  participantByDevice(deviceId: string): ParticipantRow | undefined {
    return this.sql
      .exec<ParticipantRow>(
        "SELECT * FROM group_call_participant WHERE device_id = ?",
        deviceId,
      )
      .toArray()[0];
  }

  /**
   * Adds a device to the call, and its person to the people who took
   * part. A device already in the call keeps its place and join time and
   * counts as alive again. `callKey` replaces its call key, when given.
   */
  join(
    callId: string,
    device: DeviceRef,
    video: boolean,
    now: number,
    callKey: CallPublicKey | undefined,
  ) {
    this.sql.exec(
      `INSERT INTO group_call_participant (user_id, device_id, call_id,
         audio, video, joined_at, ping_at, call_key)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?)
       ON CONFLICT (user_id, device_id) DO UPDATE SET
         ping_at = excluded.ping_at, reconnecting = 0,
         call_key = coalesce(excluded.call_key, call_key)`,
      device.userId,
      device.deviceId,
      callId,
      video ? 1 : 0,
      now,
      now,
      callKey === undefined ? null : JSON.stringify(callKey),
    );
    this.sql.exec(
      `UPDATE group_call SET taken_part = json_insert(taken_part, '$[#]', ?1)
       WHERE call_id = ?2 AND NOT EXISTS (
         SELECT 1 FROM json_each(taken_part) WHERE value = ?1)`,
      device.userId,
      callId,
    );
  }

  /** Removes devices from the call and returns how many were in it. */
  remove(devices: DeviceRef[]): number {
    let removed = 0;
    for (const device of devices) {
      removed += this.sql.exec(
        `DELETE FROM group_call_participant
         WHERE user_id = ? AND device_id = ?`,
        device.userId,
        device.deviceId,
      ).rowsWritten;
    }
    return removed;
  }

  /** Removes a person's devices and returns how many were in the call. */
  removePerson(userId: string): number {
    return this.sql.exec(
      "DELETE FROM group_call_participant WHERE user_id = ?",
      userId,
    ).rowsWritten;
  }

  update(device: DeviceRef, state: MediaState): void {
    this.sql.exec(
      `UPDATE group_call_participant SET session_id = ?, tracks = ?,
         audio = ?, video = ?, screen = ?
       WHERE user_id = ? AND device_id = ?`,
      state.sessionId,
      JSON.stringify(state.tracks),
      state.audio ? 1 : 0,
      state.video ? 1 : 0,
      state.screen ? 1 : 0,
      device.userId,
      device.deviceId,
    );
  }

  /** Records a ping and returns whether the device was reconnecting. */
  ping(device: DeviceRef, now: number): boolean {
    const wasReconnecting = this.participant(device)?.reconnecting === 1;
    this.sql.exec(
      `UPDATE group_call_participant SET ping_at = ?, reconnecting = 0
       WHERE user_id = ? AND device_id = ?`,
      now,
      device.userId,
      device.deviceId,
    );
    return wasReconnecting;
  }

  /** Records the SFU session that the Worker's proxy made for a device. */
  setSfuSession(device: DeviceRef, sessionId: string): void {
    this.sql.exec(
      `UPDATE group_call_participant SET sfu_session_id = ?
       WHERE user_id = ? AND device_id = ?`,
      sessionId,
      device.userId,
      device.deviceId,
    );
  }

  /** Returns whether `sessionId` is the SFU session of some participant. */
  hasSfuSession(sessionId: string): boolean {
    return (
      this.sql
        .exec(
          "SELECT 1 FROM group_call_participant WHERE sfu_session_id = ?",
          sessionId,
        )
        .toArray().length > 0
    );
  }

  /** Marks devices silent since before `since` as reconnecting. */
  markReconnecting(since: number): number {
    return this.sql.exec(
      `UPDATE group_call_participant SET reconnecting = 1
       WHERE reconnecting = 0 AND ping_at <= ?`,
      since,
    ).rowsWritten;
  }

  /** Returns the devices silent since before `since`. */
  silentSince(since: number): DeviceRef[] {
    return this.sql
      .exec<{ user_id: string; device_id: string }>(
        `SELECT user_id, device_id FROM group_call_participant
         WHERE ping_at <= ?`,
        since,
      )
      .toArray()
      .map((row) => ({ userId: row.user_id, deviceId: row.device_id }));
  }

  /** Returns the earliest ping time of a device in the given state. */
  oldestPing(reconnecting: boolean): number | undefined {
    const row = this.sql
      .exec<{ at: number | null }>(
        `SELECT MIN(ping_at) AS at FROM group_call_participant
         WHERE reconnecting = ?`,
        reconnecting ? 1 : 0,
      )
      .toArray()[0];
    return row?.at ?? undefined;
  }

  addRing(callId: string, userId: string, pushed: boolean, until: number) {
    this.sql.exec(
      `INSERT OR REPLACE INTO group_call_ring (user_id, call_id, pushed, until)
       VALUES (?, ?, ?, ?)`,
      userId,
      callId,
      pushed ? 1 : 0,
      until,
    );
  }

  /** Records that a `call` push went out for a person's ring. */
  markRingPushed(userId: string, callId: string): void {
    this.sql.exec(
      "UPDATE group_call_ring SET pushed = 1 WHERE user_id = ? AND call_id = ?",
      userId,
      callId,
    );
  }

  /** Forgets the ring of a person and returns it, if they were rung. */
  takeRing(userId: string): RingRow | undefined {
    const row = this.sql
      .exec<RingRow>("SELECT * FROM group_call_ring WHERE user_id = ?", userId)
      .toArray()[0];
    if (row !== undefined) {
      this.sql.exec("DELETE FROM group_call_ring WHERE user_id = ?", userId);
    }
    return row;
  }

  /** Forgets and returns the rings whose time passed by `now`. */
  takeExpiredRings(now: number): RingRow[] {
    const rows = this.sql
      .exec<RingRow>("SELECT * FROM group_call_ring WHERE until <= ?", now)
      .toArray();
    this.sql.exec("DELETE FROM group_call_ring WHERE until <= ?", now);
    return rows;
  }

  rings(): RingRow[] {
    return this.sql.exec<RingRow>("SELECT * FROM group_call_ring").toArray();
  }
}

/** Converts a participant row to its wire form (GroupCallParticipant). */
export function participantOf(row: ParticipantRow): GroupCallParticipant {
  return {
    userId: row.user_id,
    deviceId: row.device_id,
    sessionId: row.session_id,
    tracks: JSON.parse(row.tracks) as GroupCallTrack[],
    audio: row.audio === 1,
    video: row.video === 1,
    screen: row.screen === 1,
    joinedAt: row.joined_at,
    reconnecting: row.reconnecting === 1,
    callKey:
      row.call_key === null
        ? null
        : (JSON.parse(row.call_key) as CallPublicKey),
  };
}

/** Returns the running call with its participants. */
export function groupCallInfo(
  call: GroupCallRow,
  chatId: string,
  participants: ParticipantRow[],
): GroupCallInfo {
  return {
    callId: call.call_id,
    chatId,
    startedBy: call.started_by,
    startedAt: call.started_at,
    video: call.video === 1,
    provider: call.provider,
    participants: participants.map(participantOf),
  };
}
