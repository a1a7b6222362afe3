import {
  type ChatKind,
  MAX_HISTORY_PAGE_BYTES,
  type MemberRole,
  type MessageKind,
  type StoredMessage,
  utf8Length,
} from "../../protocol/index.ts";
import { CALL_MIGRATION } from "./call-store.ts";
import { DELIVERY_MARK_MIGRATION } from "./delivery-mark.ts";
import {
  GROUP_CALL_MIGRATION,
  GROUP_CALL_PROVIDER_MIGRATION,
  GROUP_CALL_KEY_MIGRATION,
} from "./group-call-store.ts";
import { MEDIA_MIGRATION } from "./media-store.ts";
import { MLS_MIGRATION } from "./mls-store.ts";

export const ROOM_MIGRATIONS = [
  `CREATE TABLE chat (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     chat_id TEXT NOT NULL,
     kind TEXT NOT NULL,
     name TEXT,
     created_at INTEGER NOT NULL,
     created_by TEXT NOT NULL
   );
   CREATE TABLE member (
     user_id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     joined_at INTEGER NOT NULL,
     join_order INTEGER NOT NULL,
     from_seq INTEGER NOT NULL,
     delivered_seq INTEGER NOT NULL DEFAULT 0,
     read_seq INTEGER NOT NULL DEFAULT 0,
     share_read INTEGER NOT NULL DEFAULT 1
   );
   CREATE TABLE former_member (
     user_id TEXT PRIMARY KEY,
     from_seq INTEGER NOT NULL,
     until_seq INTEGER NOT NULL
   );
   CREATE TABLE message (
     seq INTEGER PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     kind TEXT NOT NULL,
     ref TEXT,
     sender_id TEXT NOT NULL,
     sender_device_id TEXT,
     body TEXT NOT NULL,
     ts INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX message_ref ON message (ref) WHERE ref IS NOT NULL;`,
  // Who views the chat (for typing) and who blocked whom in a direct chat.
  // See chat-room/typing.ts.
  `CREATE TABLE viewer (
     user_id TEXT PRIMARY KEY,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE block (
     blocker_id TEXT NOT NULL,
     blocked_id TEXT NOT NULL,
     PRIMARY KEY (blocker_id, blocked_id)
   );`,
  // The chat's MLS group. See chat-room/mls-store.ts.
  MLS_MIGRATION,
  // The chat's media uploads. See chat-room/media-store.ts.
  MEDIA_MIGRATION,
  // The chat's one-to-one calls. See chat-room/call-store.ts.
  CALL_MIGRATION,
  // The group's call through the SFU. See chat-room/group-call-store.ts.
  GROUP_CALL_MIGRATION,
  // The group call's provider and RealtimeKit meeting. See the same file.
  GROUP_CALL_PROVIDER_MIGRATION,
  // Members whose account was deleted: they left the chat, and their old
  // messages stay for the others.
  `CREATE TABLE deleted_member (
     user_id TEXT PRIMARY KEY,
     deleted_at INTEGER NOT NULL
   );`,
  // How far live delivery got. See chat-room/delivery-mark.ts.
  DELIVERY_MARK_MIGRATION,
  // Each group call participant's signed call key. See
  // chat-room/group-call-store.ts.
  GROUP_CALL_KEY_MIGRATION,
];

export type ChatRow = {
  chat_id: string;
  kind: ChatKind;
  name: string | null;
  created_at: number;
  created_by: string;
};

export type MemberRow = {
  user_id: string;
  role: MemberRole;
  joined_at: number;
  join_order: number;
  from_seq: number;
  delivered_seq: number;
  read_seq: number;
  share_read: number;
};

type MessageRow = {
  seq: number;
  id: string;
  kind: MessageKind;
  ref: string | null;
  sender_id: string;
  sender_device_id: string | null;
  body: string;
  ts: number;
  deleted: number;
};

/** Sequences a person may read: `fromSeq <= seq < untilSeq`. */
export interface ReadableRange {
  fromSeq: number;
  untilSeq: number;
}

export interface NewMessage {
  id: string;
  kind: MessageKind;
  ref: string | null;
  senderId: string;
  senderDeviceId: string | null;
  body: string;
  ts: number;
}

const MEMBER_COLUMNS =
  "user_id, role, joined_at, join_order, from_seq, delivered_seq, read_seq, share_read";
const MESSAGE_COLUMNS =
  "seq, id, kind, ref, sender_id, sender_device_id, body, ts, deleted";

/** Typed queries over one ChatRoom's SQLite tables. All calls are sync. */
export class RoomStore {
  /**
   * The chat row as `chat()` last read it. Each send reads it several
   * times, and only createChat and rename write it, so they clear it.
   */
  private cachedChat: ChatRow | undefined;
  /**
   * Member ids in join order as `memberIds()` last read them. Every send
   * reads them, and only addMember and removeMember change them.
   */
  private cachedMemberIds: string[] | undefined;

  constructor(private readonly sql: SqlStorage) {}

  chat(): ChatRow | undefined {
    this.cachedChat ??= this.sql
      .exec<ChatRow>(
        "SELECT chat_id, kind, name, created_at, created_by FROM chat",
      )
      .toArray()[0];
    return this.cachedChat;
  }

  createChat(row: ChatRow): void {
    this.cachedChat = undefined;
    this.sql.exec(
      "INSERT INTO chat (id, chat_id, kind, name, created_at, created_by) VALUES (1, ?, ?, ?, ?, ?)",
      row.chat_id,
      row.kind,
      row.name,
      row.created_at,
      row.created_by,
    );
  }

  rename(name: string): void {
    this.cachedChat = undefined;
    this.sql.exec("UPDATE chat SET name = ?", name);
  }

  member(userId: string): MemberRow | undefined {
    return this.sql
      .exec<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM member WHERE user_id = ?`,
        userId,
      )
      .toArray()[0];
  }

  /** Current members in join order, the longest-standing first. */
  members(): MemberRow[] {
    return this.sql
      .exec<MemberRow>(
        `SELECT ${MEMBER_COLUMNS} FROM member ORDER BY join_order`,
      )
      .toArray();
  }

  /** Ids of the current members in join order. */
  memberIds(): string[] {
    this.cachedMemberIds ??= this.sql
      .exec<{ user_id: string }>(
        "SELECT user_id FROM member ORDER BY join_order",
      )
      .toArray()
      .map((row) => row.user_id);
    return this.cachedMemberIds;
  }

  isMember(userId: string): boolean {
    return this.memberIds().includes(userId);
  }

  memberCount(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM member")
      .one().n;
  }

  adminCount(): number {
    return this.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM member WHERE role = 'admin'",
      )
      .one().n;
  }

  /** Adds a member; a person who left and comes back starts afresh. */
  addMember(
    userId: string,
    role: MemberRole,
    joinedAt: number,
    fromSeq: number,
  ): void {
    this.cachedMemberIds = undefined;
    const order = this.sql
      .exec<{ n: number }>(
        "SELECT COALESCE(MAX(join_order), 0) + 1 AS n FROM member",
      )
      .one().n;
    this.sql.exec("DELETE FROM former_member WHERE user_id = ?", userId);
    this.sql.exec(
      "INSERT INTO member (user_id, role, joined_at, join_order, from_seq) VALUES (?, ?, ?, ?, ?)",
      userId,
      role,
      joinedAt,
      order,
      fromSeq,
    );
  }

  /** Turns a member into a former member who may read seq < untilSeq. */
  removeMember(userId: string, untilSeq: number): void {
    const member = this.member(userId);
    if (member === undefined) return;
    this.cachedMemberIds = undefined;
    this.sql.exec("DELETE FROM member WHERE user_id = ?", userId);
    this.sql.exec(
      "INSERT OR REPLACE INTO former_member (user_id, from_seq, until_seq) VALUES (?, ?, ?)",
      userId,
      member.from_seq,
      untilSeq,
    );
  }

  /** Records that a member's account was deleted. */
  markAccountDeleted(userId: string, now: number): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO deleted_member (user_id, deleted_at) VALUES (?, ?)",
      userId,
      now,
    );
  }

  /** Ids of the people whose account was deleted while in this chat. */
  deletedMemberIds(): string[] {
    return this.sql
      .exec<{ user_id: string }>(
        "SELECT user_id FROM deleted_member ORDER BY deleted_at",
      )
      .toArray()
      .map((row) => row.user_id);
  }

  setRole(userId: string, role: MemberRole): void {
    this.sql.exec("UPDATE member SET role = ? WHERE user_id = ?", role, userId);
  }

  setReceipts(userId: string, deliveredSeq: number, readSeq: number): void {
    this.sql.exec(
      "UPDATE member SET delivered_seq = ?, read_seq = ? WHERE user_id = ?",
      deliveredSeq,
      readSeq,
      userId,
    );
  }

  setShareRead(userId: string, shareRead: boolean): void {
    this.sql.exec(
      "UPDATE member SET share_read = ? WHERE user_id = ?",
      shareRead ? 1 : 0,
      userId,
    );
  }

  /** Returns the range a member or former member may read, or undefined. */
  readableRange(userId: string): ReadableRange | undefined {
    const member = this.member(userId);
    if (member !== undefined) {
      return { fromSeq: member.from_seq, untilSeq: Number.MAX_SAFE_INTEGER };
    }
    const former = this.sql
      .exec<{ from_seq: number; until_seq: number }>(
        "SELECT from_seq, until_seq FROM former_member WHERE user_id = ?",
        userId,
      )
      .toArray()[0];
    if (former === undefined) return undefined;
    return { fromSeq: former.from_seq, untilSeq: former.until_seq };
  }

  lastSeq(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COALESCE(MAX(seq), 0) AS n FROM message")
      .one().n;
  }

  /**
   * Returns the time of the newest message, or of the chat's creation. MLS
   * commits do not count, so a device joining the group does not move the
   * chat up the list.
   */
  lastActivityAt(): number {
    const row = this.sql
      .exec<{ ts: number }>(
        "SELECT ts FROM message WHERE kind != 'commit' ORDER BY seq DESC LIMIT 1",
      )
      .toArray()[0];
    return row?.ts ?? this.chat()?.created_at ?? 0;
  }

  /** Stores a message with the next sequence number and returns it. */
  insertMessage(message: NewMessage): StoredMessage {
    const stored = this.insertMessageUnlessStored(message);
    if (stored === undefined) {
      throw new Error(`message id ${message.id} is already stored`);
    }
    return stored;
  }

  /**
   * Stores a message with the next sequence number in one statement and
   * returns it, or returns undefined, writing nothing, when a message with
   * this id is already stored. Leaving out `seq` makes SQLite assign one
   * more than the largest rowid, which is the largest seq.
   */
  insertMessageUnlessStored(message: NewMessage): StoredMessage | undefined {
    const row = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO message (id, kind, ref, sender_id, sender_device_id, body, ts)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING RETURNING seq`,
        message.id,
        message.kind,
        message.ref,
        message.senderId,
        message.senderDeviceId,
        message.body,
        message.ts,
      )
      .toArray()[0];
    if (row === undefined) return undefined;
    return { ...message, chatId: this.chatId(), seq: row.seq, deleted: false };
  }

  messageById(id: string): StoredMessage | undefined {
    const row = this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM message WHERE id = ?`,
        id,
      )
      .toArray()[0];
    return row === undefined ? undefined : this.toStored(row);
  }

  /** Deletes a message for everyone, with every edit and reaction to it. */
  markDeleted(id: string): void {
    this.sql.exec(
      `UPDATE message SET deleted = 1, body = ''
       WHERE id = ? OR (ref = ? AND kind IN ('edit', 'reaction'))`,
      id,
      id,
    );
  }

  /**
   * Distinct senders of the messages other than system messages and MLS
   * commits in either range of sequences, each range written as
   * `after < seq <= upTo`.
   */
  authorsBetween(
    first: { after: number; upTo: number },
    second: { after: number; upTo: number },
  ): string[] {
    return this.sql
      .exec<{ sender_id: string }>(
        `SELECT sender_id FROM message
         WHERE seq > ? AND seq <= ? AND kind NOT IN ('system', 'commit')
         UNION SELECT sender_id FROM message
         WHERE seq > ? AND seq <= ? AND kind NOT IN ('system', 'commit')`,
        first.after,
        first.upTo,
        second.after,
        second.upTo,
      )
      .toArray()
      .map((row) => row.sender_id);
  }

  /** People who may read `seq`: members and former members in range. */
  readersOf(seq: number): string[] {
    return this.sql
      .exec<{ user_id: string }>(
        `SELECT user_id FROM member WHERE from_seq <= ?1
         UNION SELECT user_id FROM former_member
         WHERE from_seq <= ?1 AND until_seq > ?1`,
        seq,
      )
      .toArray()
      .map((row) => row.user_id);
  }

  /**
   * Up to `limit` messages of `range` after `afterSeq` (ascending) or before
   * `beforeSeq` (the newest ones below it), returned in ascending order,
   * with whether more exist beyond the page in the direction asked. The
   * page ends early once its JSON would pass MAX_HISTORY_PAGE_BYTES, but
   * it always contains at least one message.
   */
  page(
    range: ReadableRange,
    cursor: { afterSeq: number } | { beforeSeq: number },
    limit: number,
  ): { messages: StoredMessage[]; hasMore: boolean } {
    const older = "beforeSeq" in cursor;
    const low = older
      ? range.fromSeq
      : Math.max(range.fromSeq, cursor.afterSeq + 1);
    const high = older
      ? Math.min(range.untilSeq, cursor.beforeSeq)
      : range.untilSeq;
    const rows = this.sql
      .exec<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM message WHERE seq >= ? AND seq < ?
         ORDER BY seq ${older ? "DESC" : "ASC"} LIMIT ?`,
        low,
        high,
        limit + 1,
      )
      .toArray();
    const page: StoredMessage[] = [];
    // The brackets of the JSON array, then one comma per message.
    let bytes = 1;
    for (const row of rows.slice(0, limit)) {
      const message = this.toStored(row);
      bytes += utf8Length(JSON.stringify(message)) + 1;
      if (page.length > 0 && bytes > MAX_HISTORY_PAGE_BYTES) break;
      page.push(message);
    }
    const hasMore = rows.length > page.length;
    if (older) page.reverse();
    return { messages: page, hasMore };
  }

  /** Messages of kind "message" from others after `readSeq`, not deleted. */
  unread(userId: string, readSeq: number, fromSeq: number): number {
    return this.sql
      .exec<{ n: number }>(
        `SELECT COUNT(*) AS n FROM message WHERE seq > ? AND seq >= ?
         AND kind = 'message' AND sender_id != ? AND deleted = 0`,
        readSeq,
        fromSeq,
        userId,
      )
      .one().n;
  }

  private chatId(): string {
    return this.chat()?.chat_id ?? "";
  }

  private toStored(row: MessageRow): StoredMessage {
    return {
      id: row.id,
      chatId: this.chatId(),
      seq: row.seq,
      kind: row.kind,
      ref: row.ref,
      senderId: row.sender_id,
      senderDeviceId: row.sender_device_id,
      body: row.body,
      ts: row.ts,
      deleted: row.deleted === 1,
    };
  }
}
