import type {
  ChatSummary,
  ErrorCode,
  Me,
  SystemEvent,
} from "../../../protocol/index.ts";
import type { MediaItem } from "../media/types.ts";
import type { ResolvedName } from "./names.ts";

export type ConnectionState = "offline" | "connecting" | "online";

export interface Session {
  me: Me;
  deviceId: string;
}

/** Preview of the newest visible message of a chat, already decoded. */
export interface ChatPreview {
  text: string;
  /** The decoded event of a system message, which the UI words itself. */
  system: SystemEvent | null;
  senderId: string;
  ts: number;
  kind: "message" | "system";
  deleted: boolean;
}

/**
 * A chat as the chat list shows it. Its `unread` also counts the calls the
 * viewer missed after the read position, which the server does not count.
 */
export interface ChatRow extends ChatSummary {
  /**
   * Group name, or the other person's saved contact name, else their
   * E.164 number and profile name ("+447700900123 ~Ana").
   */
  title: string;
  /** The other person's name in a direct chat, null in a group. */
  peerName: ResolvedName | null;
  /** Newest visible message for the list preview, already decoded. */
  preview: ChatPreview | null;
}

export type MessageStatus = "pending" | "sent" | "failed";

export interface MessageRow {
  id: string;
  chatId: string;
  /** Null while pending or failed. */
  seq: number | null;
  /** Sort key: the seq, or PENDING_ORDER_BASE plus local time while pending. */
  order: number;
  /** A `commit` row contains an MLS commit and is never shown. */
  kind: "message" | "system" | "commit";
  senderId: string;
  senderDeviceId: string | null;
  /** Server time; local time while pending. */
  ts: number;
  /** Decoded text ("" when deleted); the caption of a message with media. */
  text: string;
  /**
   * The file the message carries, or null. While our own file uploads,
   * its `id` is a local one and its `key` and `hash` are not final.
   */
  media: MediaItem | null;
  /**
   * True when the sender's body carried a file description that failed the
   * MediaItem schema (from a faulty or older client), so `media` is null
   * and the message shows "This file can't be shown". Absent counts as
   * false, as in rows stored before the field existed.
   */
  mediaError?: boolean;
  /** Id of the quoted message. */
  replyTo: string | null;
  editedAt: number | null;
  /** Emoji per reacting user id. */
  reactions: Record<string, string>;
  /** Deleted for everyone. */
  deleted: boolean;
  /** The decoded event, for kind "system". */
  system: SystemEvent | null;
  status: MessageStatus;
  /** Reason the send failed, as a sentence for the person. */
  error: string | null;
}

export type Tick = "pending" | "sent" | "delivered" | "read" | "failed";

export interface ReceiptDetail {
  userId: string;
  delivered: boolean;
  read: boolean;
}

export interface SearchResult {
  chats: ChatRow[];
  messages: MessageRow[];
}

/** An error reply of the API, or a failure to reach it (status 0). */
export class ApiFailure extends Error {
  readonly code: ErrorCode;
  readonly field?: string;
  readonly status: number;
  readonly retryAfter?: number;

  constructor(
    code: ErrorCode,
    message: string,
    status: number,
    field?: string,
    retryAfter?: number,
  ) {
    super(message);
    this.name = "ApiFailure";
    this.code = code;
    this.status = status;
    if (field !== undefined) this.field = field;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}
