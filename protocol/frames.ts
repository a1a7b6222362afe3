import { z } from "zod";
import {
  chatId,
  deviceId,
  e164,
  messageId,
  seq,
  timestamp,
  userId,
} from "./ids.ts";
import { MessageBatchFrame } from "./batch.ts";
import { CallClientFrames, CallServerFrames } from "./calls.ts";
import { GroupCallClientFrames, GroupCallServerFrames } from "./group-calls.ts";
import { HistoryReadyFrame, HistoryRequestFrame } from "./history.ts";
import { KeysLowFrame, MlsPendingFrame } from "./mls.ts";
import { ErrorBody } from "./errors.ts";
import { MAX_HISTORY_PAGE, MAX_SYNC_CHATS, MAX_VIEW_LISTED } from "./limits.ts";
import {
  ChatSummary,
  Contact,
  OutgoingMessage,
  StoredMessage,
  TypingState,
} from "./models.ts";

/**
 * WebSocket frames, one JSON object per text frame, each a member of a
 * union on `type`. A client opens one socket per device, to GET /api/ws.
 *
 * Heartbeat: the client sends the exact text `{"type":"ping"}` and the server
 * answers `{"type":"pong"}` without waking the UserHub; these two strings are
 * outside the unions below.
 */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** Optional request id; replies to that frame carry it back. */
const rid = z.string().max(64).optional();

// ---- client → server -------------------------------------------------------

/**
 * Resume after (re)connecting: per chat, the highest sequence this device has
 * without gaps. The server replies with `inbox`, then, per chat, the messages
 * after that sequence in pages (for a chat with `afterSeq` 0, only the newest
 * page; older ones come from `history`), then `sync.done`. With `compact`
 * true, the pages come as `batch` frames where they can (protocol/batch.ts)
 * and as `messages` otherwise.
 */
export const SyncFrame = z.object({
  type: z.literal("sync"),
  rid,
  chats: z.array(z.object({ chatId, afterSeq: seq })).max(MAX_SYNC_CHATS),
  compact: z.boolean().optional(),
});

/** Store a message in a chat. The reply is `send.ok` or an `error`. */
export const SendFrame = z.object({
  type: z.literal("send"),
  chatId,
  message: OutgoingMessage,
});

/** A page of messages before `beforeSeq` (older) or after `afterSeq`. */
export const HistoryFrame = z
  .object({
    type: z.literal("history"),
    rid,
    chatId,
    beforeSeq: seq.optional(),
    afterSeq: seq.optional(),
    limit: z.number().int().min(1).max(MAX_HISTORY_PAGE),
  })
  .refine((f) => (f.beforeSeq === undefined) !== (f.afterSeq === undefined), {
    message: "exactly one of beforeSeq and afterSeq is required",
    path: ["beforeSeq"],
  });

/** This device stored (`delivered`) or showed (`read`) every message up to seq. */
export const ReceiptFrame = z.object({
  type: z.literal("receipt"),
  chatId,
  kind: z.enum(["delivered", "read"]),
  seq: seq.min(1),
});

/** Delete one's own message for everyone, within the time window. */
export const DeleteFrame = z.object({
  type: z.literal("delete"),
  rid,
  chatId,
  messageId,
});

/**
 * The view of this device: the open chat (null when none is open or the
 * tab is hidden) and the chat list rows on screen. The server sends
 * presence and typing only for what some device of the person views. Sent
 * on every change and after every `ready`. Each frame replaces the last.
 */
export const ViewFrame = z.object({
  type: z.literal("view"),
  chatId: chatId.nullable(),
  listed: z
    .array(chatId)
    .max(MAX_VIEW_LISTED, `must list at most ${MAX_VIEW_LISTED} chats`),
});

/**
 * The device received `chars` more characters of frames since its last
 * `ack`. It sends one every ACK_EVERY_CHARS, so the hub can bound what it
 * buffers for a socket (MAX_UNACKED_CHARS). The hub sends no reply.
 */
export const AckFrame = z.object({
  type: z.literal("ack"),
  chars: z.number().int().positive(),
});

/**
 * The composer state in one chat: "typing" on the first keystroke and then
 * at most every 3 s, "idle" when the text is cleared or sent, after 5 s
 * without a keystroke, or when the chat closes. Never stored.
 */
export const TypingFrame = z.object({
  type: z.literal("typing"),
  chatId,
  state: TypingState,
});

export const ClientFrame = z.discriminatedUnion("type", [
  SyncFrame,
  SendFrame,
  HistoryFrame,
  ReceiptFrame,
  DeleteFrame,
  ViewFrame,
  TypingFrame,
  AckFrame,
  ...CallClientFrames,
  ...GroupCallClientFrames,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame["type"];

// ---- server → client -------------------------------------------------------

export const ServerFrame = z.discriminatedUnion("type", [
  /** First frame on every socket. */
  z.object({
    type: z.literal("ready"),
    userId,
    deviceId,
    serverTime: timestamp,
    /**
     * How often the client should ping, in ms. The server closes a socket
     * that stays silent for about three of these.
     */
    heartbeatMs: z.number().int().positive().optional(),
  }),
  /** The whole chat list, sent in reply to `sync`. */
  z.object({ type: z.literal("inbox"), rid, chats: z.array(ChatSummary) }),
  /** One chat list row changed or appeared (membership, rename, unread). */
  z.object({ type: z.literal("chat"), chat: ChatSummary }),
  /** A page of messages, in ascending sequence order. */
  z.object({
    type: z.literal("messages"),
    rid,
    chatId,
    messages: z.array(StoredMessage),
    /** More messages exist beyond this page in the direction asked. */
    hasMore: z.boolean(),
  }),
  /** A page of messages in the compact form of protocol/batch.ts. */
  MessageBatchFrame,
  /** A message stored just now, live. */
  z.object({ type: z.literal("message"), message: StoredMessage }),
  /** The server stored a `send` (or already had it: same seq and ts). */
  z.object({
    type: z.literal("send.ok"),
    chatId,
    id: messageId,
    seq,
    ts: timestamp,
  }),
  /** A member's receipt positions moved forward. */
  z.object({
    type: z.literal("receipt"),
    chatId,
    userId,
    deliveredSeq: seq,
    readSeq: seq,
  }),
  /** A message was deleted for everyone; its body and its edits are gone. */
  z.object({
    type: z.literal("deleted"),
    rid,
    chatId,
    id: messageId,
    seq,
  }),
  /**
   * Presence of a person that a device of this user views, sent when the
   * view starts and on every change. Hidden presence reads as offline with
   * `lastSeen` null.
   */
  z.object({
    type: z.literal("presence"),
    userId,
    online: z.boolean(),
    lastSeen: timestamp.nullable(),
  }),
  /**
   * A member's composer state in a chat that a device of this user views.
   * The client drops the indicator at `expiresAt` (server time) and when a
   * message from that member arrives in the chat.
   */
  z.object({
    type: z.literal("typing"),
    chatId,
    userId,
    state: TypingState,
    expiresAt: timestamp,
  }),
  /**
   * The person's contact list changed on some device, or discovery linked
   * a number to an account: rows to put and numbers to drop. Sent to every
   * connected device of the person, the one that made the change included.
   */
  z.object({
    type: z.literal("contacts"),
    contacts: z.array(Contact),
    removed: z.array(e164),
  }),
  MlsPendingFrame,
  KeysLowFrame,
  HistoryRequestFrame,
  HistoryReadyFrame,
  ...CallServerFrames,
  ...GroupCallServerFrames,
  /** All pages of the reply to a `sync` were sent. */
  z.object({ type: z.literal("sync.done"), rid }),
  /** A frame failed; `id` names the message of a failed `send`. */
  z.object({
    type: z.literal("error"),
    rid,
    chatId: chatId.optional(),
    id: messageId.optional(),
    error: ErrorBody,
  }),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameType = ServerFrame["type"];

/** Close codes the server uses beyond the standard ones. */
export const CLOSE_SESSION_REVOKED = 4001;
/** The account of the socket's device was deleted; do not reconnect. */
export const CLOSE_ACCOUNT_DELETED = 4003;
/**
 * The device left more than MAX_UNACKED_CHARS unacknowledged. It
 * reconnects and syncs from its cursor as after any other close.
 */
export const CLOSE_TOO_SLOW = 4008;
