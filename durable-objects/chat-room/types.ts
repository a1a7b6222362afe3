import type {
  ChatKind,
  MemberRole,
  StoredMessage,
} from "../../protocol/index.ts";

/**
 * The chat row a ChatRoom sends to a member's UserHub. The hub merges it
 * into its inbox row and keeps its own pinned, archived and muted flags.
 * `readSeq` and `unread` are absent when the room has no newer value.
 */
export interface ChatUpdate {
  id: string;
  kind: ChatKind;
  name: string | null;
  peerId: string | null;
  role: MemberRole;
  memberCount: number;
  lastSeq: number;
  lastActivityAt: number;
  left: boolean;
  readSeq?: number;
  unread?: number;
}

/** A member's receipt positions as one recipient may see them. */
export interface ReceiptUpdate {
  chatId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * The reader's own positions after a receipt, for their inbox row.
 * `changed` is true when the positions or the read receipts setting moved,
 * and the reader's hub then sends the positions to the reader's devices.
 */
export interface ReceiptResult {
  deliveredSeq: number;
  readSeq: number;
  unread: number;
  changed: boolean;
}

/**
 * The reply to a send: the message's place in the log, and the message
 * itself when this call stored it. A resend of a stored id gets the
 * original seq and ts with `stored` null.
 */
export interface SendResult {
  seq: number;
  ts: number;
  stored: StoredMessage | null;
}
