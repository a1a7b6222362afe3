import type {
  Audience,
  ChatSummary,
  LastSeenPrivacy,
  Me,
  Settings,
} from "../../protocol/index.ts";
import type { ChatUpdate } from "../chat-room/types.ts";
import { ERASE_MIGRATION } from "./erase.ts";

export const HUB_MIGRATIONS = [
  `CREATE TABLE profile (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     user_id TEXT NOT NULL,
     phone TEXT NOT NULL,
     display_name TEXT NOT NULL DEFAULT '',
     about TEXT NOT NULL DEFAULT '',
     read_receipts INTEGER NOT NULL DEFAULT 1,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE device (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_active_at INTEGER NOT NULL
   );
   CREATE TABLE inbox (
     chat_id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     name TEXT,
     peer_id TEXT,
     role TEXT NOT NULL,
     member_count INTEGER NOT NULL,
     last_seq INTEGER NOT NULL,
     last_activity_at INTEGER NOT NULL,
     unread INTEGER NOT NULL DEFAULT 0,
     read_seq INTEGER NOT NULL DEFAULT 0,
     pinned INTEGER NOT NULL DEFAULT 0,
     archived INTEGER NOT NULL DEFAULT 0,
     muted_until INTEGER NOT NULL DEFAULT 0,
     left_chat INTEGER NOT NULL DEFAULT 0
   );`,
  // Presence: privacy, contacts, blocks, who watches this person and whom
  // this person's devices watch. See user-hub/presence.ts.
  `ALTER TABLE profile ADD COLUMN last_seen_privacy TEXT NOT NULL
     DEFAULT 'everyone';
   ALTER TABLE profile ADD COLUMN online INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE profile ADD COLUMN last_seen_at INTEGER;
   CREATE TABLE contacts (
     user_id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     added_at INTEGER NOT NULL
   );
   CREATE TABLE blocked (
     user_id TEXT PRIMARY KEY,
     blocked_at INTEGER NOT NULL
   );
   CREATE TABLE watcher (
     user_id TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE watching (
     user_id TEXT PRIMARY KEY,
     renewed_at INTEGER NOT NULL,
     online INTEGER NOT NULL DEFAULT 0,
     last_seen INTEGER
   );
   CREATE TABLE viewing (
     chat_id TEXT PRIMARY KEY,
     renewed_at INTEGER NOT NULL
   );`,
  // The highest seq per chat that the room's live delivery brought, so a
  // retried delivery call skips what an earlier attempt recorded.
  `ALTER TABLE inbox ADD COLUMN fanout_seq INTEGER NOT NULL DEFAULT 0;`,
  // Profile photo and the audiences of the about text and the photo. Rows
  // stored before get "everyone", the default of the settings.
  `ALTER TABLE profile ADD COLUMN photo_id TEXT;
   ALTER TABLE profile ADD COLUMN about_visibility TEXT NOT NULL
     DEFAULT 'everyone';
   ALTER TABLE profile ADD COLUMN photo_visibility TEXT NOT NULL
     DEFAULT 'everyone';`,
  // Contacts keyed by phone number, with the account filled in by
  // discovery, and the numbers checked for the daily discovery limit.
  // Rows from before keep their user id and get a null phone until
  // ContactBook.resolveLegacy reads it from that account's hub; see
  // user-hub/contact-store.ts.
  `CREATE TABLE contacts_by_phone (
     phone TEXT UNIQUE,
     name TEXT NOT NULL,
     user_id TEXT,
     added_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   INSERT INTO contacts_by_phone (phone, name, user_id, added_at, updated_at)
     SELECT NULL, name, user_id, added_at, added_at FROM contacts;
   DROP TABLE contacts;
   ALTER TABLE contacts_by_phone RENAME TO contacts;
   CREATE INDEX contacts_user_id ON contacts (user_id);
   CREATE TABLE discovery_check (
     phone_hash TEXT PRIMARY KEY,
     checked_at INTEGER NOT NULL
   );
   CREATE INDEX discovery_check_at ON discovery_check (checked_at);`,
  // When each saved number was last checked for an account; null while
  // the daily discovery limit left it unchecked. NOTE: rows from before
  // count as checked, because nothing recorded which ones the limit
  // skipped; those stay unlinked until they are saved or imported again.
  `ALTER TABLE contacts ADD COLUMN checked_at INTEGER;
   UPDATE contacts SET checked_at = updated_at;
   CREATE INDEX contacts_unchecked ON contacts (added_at)
     WHERE checked_at IS NULL;`,
  // MLS KeyPackages that each device published so that others can add it
  // to chat groups; see user-hub/key-store.ts.
  `CREATE TABLE key_package (
     id INTEGER PRIMARY KEY,
     device_id TEXT NOT NULL,
     key_package TEXT NOT NULL UNIQUE,
     published_at INTEGER NOT NULL
   );
   CREATE INDEX key_package_device ON key_package (device_id, id);
   CREATE TABLE last_resort_key_package (
     device_id TEXT PRIMARY KEY,
     key_package TEXT NOT NULL,
     published_at INTEGER NOT NULL
   );`,
  // Web Push: one subscription per device, and per chat the newest seq a
  // message push went out for, which decides whether a read sends a
  // `read` push. See user-hub/push-store.ts.
  `CREATE TABLE push_subscription (
     device_id TEXT PRIMARY KEY,
     endpoint TEXT NOT NULL UNIQUE,
     p256dh TEXT NOT NULL,
     auth TEXT NOT NULL,
     expiration_time INTEGER,
     created_at INTEGER NOT NULL
   );
   ALTER TABLE inbox ADD COLUMN pushed_seq INTEGER NOT NULL DEFAULT 0;`,
  // Link and sync: one row per device that signed in after this table
  // existed, with the state of its history transfer. See
  // user-hub/history-store.ts.
  `CREATE TABLE history_transfer (
     device_id TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     from_device_id TEXT,
     from_device_name TEXT,
     envelope TEXT,
     skipped INTEGER NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   );`,
  // The call this person is in or is rung for. See user-hub/call-store.ts.
  `CREATE TABLE current_call (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     call_id TEXT NOT NULL,
     chat_id TEXT NOT NULL,
     role TEXT NOT NULL,
     state TEXT NOT NULL,
     call TEXT,
     pushed INTEGER NOT NULL DEFAULT 0
   );`,
  // The chat's running group call as JSON ({ callId, video,
  // participants }), or null. See user-hub/group-calls.ts.
  `ALTER TABLE inbox ADD COLUMN group_call TEXT;`,
  // The tombstone of a deleted account. See user-hub/erase.ts.
  ERASE_MIGRATION,
];

type ProfileRow = {
  user_id: string;
  phone: string;
  display_name: string;
  about: string;
  read_receipts: number;
  last_seen_privacy: LastSeenPrivacy;
  about_visibility: Audience;
  photo_visibility: Audience;
  photo_id: string | null;
  created_at: number;
};

export type DeviceRow = {
  id: string;
  name: string;
  secret_hash: string;
  created_at: number;
  last_active_at: number;
};

type InboxRow = {
  chat_id: string;
  kind: ChatSummary["kind"];
  name: string | null;
  peer_id: string | null;
  role: ChatSummary["role"];
  member_count: number;
  last_seq: number;
  last_activity_at: number;
  unread: number;
  read_seq: number;
  pinned: number;
  archived: number;
  muted_until: number;
  left_chat: number;
  group_call: string | null;
};

export interface InboxPatch {
  pinned?: boolean | undefined;
  archived?: boolean | undefined;
  mutedUntil?: number | undefined;
}

function toSummary(row: InboxRow): ChatSummary {
  return {
    id: row.chat_id,
    kind: row.kind,
    name: row.name,
    peerId: row.peer_id,
    role: row.role,
    memberCount: row.member_count,
    lastSeq: row.last_seq,
    lastActivityAt: row.last_activity_at,
    unread: row.unread,
    readSeq: row.read_seq,
    pinned: row.pinned === 1,
    archived: row.archived === 1,
    mutedUntil: row.muted_until,
    left: row.left_chat === 1,
    groupCall:
      row.group_call === null
        ? null
        : (JSON.parse(row.group_call) as ChatSummary["groupCall"]),
  };
}

/** Typed queries over one UserHub's SQLite tables. All calls are sync. */
export class HubStore {
  /**
   * The profile as `me()` last read it, or undefined before the first read.
   * Every frame and delivery reads it, and only this class writes the
   * columns it holds, so each write here clears it.
   */
  private cachedMe: { value: Me | undefined } | undefined;

  constructor(private readonly sql: SqlStorage) {}

  private profileRow(): ProfileRow | undefined {
    return this.sql
      .exec<ProfileRow>(
        `SELECT user_id, phone, display_name, about, read_receipts,
           last_seen_privacy, about_visibility, photo_visibility, photo_id,
           created_at FROM profile`,
      )
      .toArray()[0];
  }

  me(): Me | undefined {
    this.cachedMe ??= { value: this.readMe() };
    return this.cachedMe.value;
  }

  private readMe(): Me | undefined {
    const row = this.profileRow();
    if (row === undefined) return undefined;
    return {
      id: row.user_id,
      phone: row.phone,
      displayName: row.display_name,
      about: row.about,
      photoId: row.photo_id,
      settings: {
        readReceipts: row.read_receipts === 1,
        lastSeen: row.last_seen_privacy,
        aboutVisibility: row.about_visibility,
        photoVisibility: row.photo_visibility,
      },
      createdAt: row.created_at,
    };
  }

  createProfile(userId: string, phone: string, now: number): void {
    this.cachedMe = undefined;
    this.sql.exec(
      "INSERT OR IGNORE INTO profile (id, user_id, phone, created_at) VALUES (1, ?, ?, ?)",
      userId,
      phone,
      now,
    );
  }

  updateProfile(patch: {
    displayName?: string | undefined;
    about?: string | undefined;
  }): void {
    this.cachedMe = undefined;
    if (patch.displayName !== undefined) {
      this.sql.exec("UPDATE profile SET display_name = ?", patch.displayName);
    }
    if (patch.about !== undefined) {
      this.sql.exec("UPDATE profile SET about = ?", patch.about);
    }
  }

  updateSettings(patch: Partial<Settings>): void {
    this.cachedMe = undefined;
    if (patch.readReceipts !== undefined) {
      this.sql.exec(
        "UPDATE profile SET read_receipts = ?",
        patch.readReceipts ? 1 : 0,
      );
    }
    if (patch.lastSeen !== undefined) {
      this.sql.exec("UPDATE profile SET last_seen_privacy = ?", patch.lastSeen);
    }
    if (patch.aboutVisibility !== undefined) {
      this.sql.exec(
        "UPDATE profile SET about_visibility = ?",
        patch.aboutVisibility,
      );
    }
    if (patch.photoVisibility !== undefined) {
      this.sql.exec(
        "UPDATE profile SET photo_visibility = ?",
        patch.photoVisibility,
      );
    }
  }

  /** Sets the id of the current profile photo, or null for none. */
  setPhoto(photoId: string | null): void {
    this.cachedMe = undefined;
    this.sql.exec("UPDATE profile SET photo_id = ?", photoId);
  }

  device(deviceId: string): DeviceRow | undefined {
    return this.sql
      .exec<DeviceRow>(
        "SELECT id, name, secret_hash, created_at, last_active_at FROM device WHERE id = ?",
        deviceId,
      )
      .toArray()[0];
  }

  devices(): DeviceRow[] {
    return this.sql
      .exec<DeviceRow>(
        "SELECT id, name, secret_hash, created_at, last_active_at FROM device ORDER BY created_at",
      )
      .toArray();
  }

  addDevice(row: DeviceRow): void {
    this.sql.exec(
      "INSERT INTO device (id, name, secret_hash, created_at, last_active_at) VALUES (?, ?, ?, ?, ?)",
      row.id,
      row.name,
      row.secret_hash,
      row.created_at,
      row.last_active_at,
    );
  }

  touchDevice(deviceId: string, now: number): void {
    this.sql.exec(
      "UPDATE device SET last_active_at = ? WHERE id = ?",
      now,
      deviceId,
    );
  }

  deleteDevice(deviceId: string): boolean {
    const cursor = this.sql.exec("DELETE FROM device WHERE id = ?", deviceId);
    return cursor.rowsWritten > 0;
  }

  chat(chatId: string): ChatSummary | undefined {
    const row = this.sql
      .exec<InboxRow>("SELECT * FROM inbox WHERE chat_id = ?", chatId)
      .toArray()[0];
    return row === undefined ? undefined : toSummary(row);
  }

  inbox(): ChatSummary[] {
    return this.sql
      .exec<InboxRow>("SELECT * FROM inbox ORDER BY last_activity_at DESC")
      .toArray()
      .map(toSummary);
  }

  /**
   * Merges a room's view of the chat, keeping this person's own flags. An
   * update older than the row (lower lastSeq) does not replace `unread`.
   */
  applyChat(update: ChatUpdate): void {
    this.sql.exec(
      `INSERT INTO inbox (chat_id, kind, name, peer_id, role, member_count,
         last_seq, last_activity_at, unread, read_seq, left_chat)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(chat_id) DO UPDATE SET
         kind = excluded.kind, name = excluded.name, peer_id = excluded.peer_id,
         role = excluded.role, member_count = excluded.member_count,
         last_seq = MAX(last_seq, excluded.last_seq),
         last_activity_at = MAX(last_activity_at, excluded.last_activity_at),
         unread = CASE WHEN ? AND excluded.last_seq >= last_seq
           THEN excluded.unread ELSE unread END,
         read_seq = MAX(read_seq, excluded.read_seq),
         left_chat = excluded.left_chat,
         group_call = CASE WHEN excluded.left_chat = 1 THEN NULL
           ELSE group_call END`,
      update.id,
      update.kind,
      update.name,
      update.peerId,
      update.role,
      update.memberCount,
      update.lastSeq,
      update.lastActivityAt,
      update.unread ?? 0,
      update.readSeq ?? 0,
      update.left ? 1 : 0,
      update.unread === undefined ? 0 : 1,
    );
  }

  /**
   * Records a new message in the chat's row. Returns false, writing
   * nothing, when the row is missing, or when `unlessLeft` is true and this
   * person left the chat.
   */
  recordMessage(
    chatId: string,
    seq: number,
    ts: number,
    countsAsUnread: boolean,
    unlessLeft = false,
  ): boolean {
    const cursor = this.sql.exec(
      `UPDATE inbox SET last_seq = MAX(last_seq, ?),
         last_activity_at = MAX(last_activity_at, ?),
         unread = unread + (CASE WHEN ? AND read_seq < ? THEN 1 ELSE 0 END)
       WHERE chat_id = ? AND left_chat <= ?`,
      seq,
      ts,
      countsAsUnread ? 1 : 0,
      seq,
      chatId,
      unlessLeft ? 0 : 1,
    );
    return cursor.rowsWritten > 0;
  }

  /**
   * Returns whether `recordDelivered` would record a batch starting at
   * `firstSeq`: the row exists, is not left, and its `fanout_seq` is below
   * `firstSeq`. It only reads.
   */
  acceptsDelivery(chatId: string, firstSeq: number): boolean {
    const rows = this.sql
      .exec(
        `SELECT 1 FROM inbox
         WHERE chat_id = ? AND left_chat = 0 AND fanout_seq < ?`,
        chatId,
        firstSeq,
      )
      .toArray();
    return rows.length > 0;
  }

  /**
   * Records a batch of the room's live messages in the chat's row, in one
   * statement: `unreadSeqs` are the seqs that count as unread when above
   * the read position. Returns false, writing nothing, when the row is
   * missing or left, or when the batch starts at or below `fanout_seq`
   * (a repeat of an earlier delivery).
   */
  recordDelivered(
    chatId: string,
    batch: {
      firstSeq: number;
      lastSeq: number;
      lastTs: number;
      unreadSeqs: number[];
    },
  ): boolean {
    // A live batch is mostly one message, whose count needs no JSON.
    const [only, ...more] = batch.unreadSeqs;
    const single = more.length === 0;
    const added = single
      ? "(CASE WHEN ?3 > read_seq THEN 1 ELSE 0 END)"
      : "(SELECT COUNT(*) FROM json_each(?3) WHERE value > read_seq)";
    const cursor = this.sql.exec(
      `UPDATE inbox SET last_seq = MAX(last_seq, ?1),
         last_activity_at = MAX(last_activity_at, ?2),
         unread = unread + ${added},
         fanout_seq = ?1
       WHERE chat_id = ?4 AND left_chat = 0 AND fanout_seq < ?5`,
      batch.lastSeq,
      batch.lastTs,
      single ? (only ?? 0) : JSON.stringify(batch.unreadSeqs),
      chatId,
      batch.firstSeq,
    );
    return cursor.rowsWritten > 0;
  }

  /** Returns the highest seq the room's live delivery brought to a chat. */
  fanoutSeq(chatId: string): number {
    const row = this.sql
      .exec<{ n: number }>(
        "SELECT fanout_seq AS n FROM inbox WHERE chat_id = ?",
        chatId,
      )
      .toArray()[0];
    return row?.n ?? 0;
  }

  /**
   * Moves the read position forward and sets the unread count. Returns
   * false, writing nothing, when neither would change.
   */
  setRead(chatId: string, readSeq: number, unread: number): boolean {
    const cursor = this.sql.exec(
      `UPDATE inbox SET read_seq = MAX(read_seq, ?1), unread = ?2
       WHERE chat_id = ?3 AND (read_seq < ?1 OR unread != ?2)`,
      readSeq,
      unread,
      chatId,
    );
    return cursor.rowsWritten > 0;
  }

  updateInbox(chatId: string, patch: InboxPatch): void {
    if (patch.pinned !== undefined) {
      this.sql.exec(
        "UPDATE inbox SET pinned = ? WHERE chat_id = ?",
        patch.pinned ? 1 : 0,
        chatId,
      );
    }
    if (patch.archived !== undefined) {
      this.sql.exec(
        "UPDATE inbox SET archived = ? WHERE chat_id = ?",
        patch.archived ? 1 : 0,
        chatId,
      );
    }
    if (patch.mutedUntil !== undefined) {
      this.sql.exec(
        "UPDATE inbox SET muted_until = ? WHERE chat_id = ?",
        patch.mutedUntil,
        chatId,
      );
    }
  }

  /**
   * Sets the running group call of a chat the person is in, or clears it
   * with null. A chat the person left keeps none.
   */
  setGroupCall(chatId: string, call: ChatSummary["groupCall"]): void {
    this.sql.exec(
      "UPDATE inbox SET group_call = ? WHERE chat_id = ? AND left_chat = 0",
      call === null ? null : JSON.stringify(call),
      chatId,
    );
  }

  /** Returns the chat whose running group call is `callId`. */
  chatOfGroupCall(callId: string): string | undefined {
    return this.sql
      .exec<{ chat_id: string }>(
        `SELECT chat_id FROM inbox
         WHERE left_chat = 0 AND json_extract(group_call, '$.callId') = ?`,
        callId,
      )
      .toArray()[0]?.chat_id;
  }

  /** Ids of every chat in the list, left ones included. */
  allChatIds(): string[] {
    return this.sql
      .exec<{ chat_id: string }>("SELECT chat_id FROM inbox")
      .toArray()
      .map((row) => row.chat_id);
  }

  /** Drops the cached profile after the tables were emptied elsewhere. */
  forgetCache(): void {
    this.cachedMe = undefined;
  }

  directChatIds(): string[] {
    return this.sql
      .exec<{ chat_id: string }>(
        "SELECT chat_id FROM inbox WHERE kind = 'direct' AND left_chat = 0",
      )
      .toArray()
      .map((row) => row.chat_id);
  }
}
