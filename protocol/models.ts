import { z } from "zod";
import {
  chatId,
  deviceId,
  e164,
  messageId,
  photoId,
  seq,
  timestamp,
  userId,
  utf8Length,
} from "./ids.ts";
import {
  MAX_ABOUT_CHARS,
  MAX_BODY_BYTES,
  MAX_DISPLAY_NAME_CHARS,
  MAX_GROUP_NAME_CHARS,
} from "./limits.ts";
import { MAX_MEDIA_PER_MESSAGE, mediaId } from "./media.ts";
import { encryptedPreview } from "./push.ts";
import { CallEvent } from "./calls.ts";
import { GroupCallEvent } from "./group-calls.ts";

/**
 * Control characters and the bidirectional embedding, override and isolate
 * controls (U+202A–U+202E, U+2066–U+2069). In a name they can make it read
 * as someone else's, so names reject them. Message text keeps them. With
 * the u flag the surrogate range matches only unpaired surrogates, which
 * have no UTF-8 form, so storage would replace them and change the name.
 */
const NAME_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are the target
  /[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

const NAME_FORBIDDEN_MESSAGE =
  "must not contain control or text-direction override characters, or unpaired surrogates";

/** Trimmed display name: 1 to 64 characters. */
export const displayName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(
    MAX_DISPLAY_NAME_CHARS,
    `must be at most ${MAX_DISPLAY_NAME_CHARS} characters`,
  )
  .refine((value) => !NAME_FORBIDDEN.test(value), NAME_FORBIDDEN_MESSAGE);

export const aboutText = z
  .string()
  .trim()
  .max(MAX_ABOUT_CHARS, `must be at most ${MAX_ABOUT_CHARS} characters`);

export const groupName = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(
    MAX_GROUP_NAME_CHARS,
    `must be at most ${MAX_GROUP_NAME_CHARS} characters`,
  )
  .refine((value) => !NAME_FORBIDDEN.test(value), NAME_FORBIDDEN_MESSAGE);

/**
 * Who may see a person's last seen time and online status. The rule is
 * reciprocal, as on WhatsApp: someone with "nobody" sees nobody's, and
 * someone with "contacts" sees only their own contacts'.
 */
export const LastSeenPrivacy = z.enum(["everyone", "contacts", "nobody"]);
export type LastSeenPrivacy = z.infer<typeof LastSeenPrivacy>;

/**
 * Who may see a person's about text or profile photo. "contacts" means the
 * accounts in this person's contact list, and nobody else. Unlike last
 * seen, the rule is not reciprocal.
 */
export const Audience = LastSeenPrivacy;
export type Audience = LastSeenPrivacy;

/** Settings a person changes for themselves; stored in their UserHub. */
export const Settings = z.object({
  /**
   * Whether this person sends read receipts in one-to-one chats. Turning it
   * off also hides other people's read receipts from them, as on WhatsApp.
   * Groups always share read receipts.
   */
  readReceipts: z.boolean(),
  /** Who sees this person's last seen time and online status. */
  lastSeen: LastSeenPrivacy,
  /** Who sees this person's about text. Stored settings may lack it. */
  aboutVisibility: Audience.default("everyone"),
  /** Who sees this person's profile photo. Stored settings may lack it. */
  photoVisibility: Audience.default("everyone"),
});
export type Settings = z.infer<typeof Settings>;

/** The signed-in person's own account, as their devices see it. */
export const Me = z.object({
  id: userId,
  phone: e164,
  displayName: z.string(),
  about: z.string(),
  /** Names the current profile photo, or null when there is none. */
  photoId: photoId.nullable().default(null),
  settings: Settings,
  createdAt: timestamp,
});
export type Me = z.infer<typeof Me>;

/**
 * The part of another account a signed-in person may see. The owner's privacy
 * settings apply: a hidden about text reads as "" and a hidden photo as
 * null, the same as none. A deleted account has `deleted` true, an empty
 * phone, name and about, and no photo, because its number may now belong
 * to someone else.
 */
export const PublicProfile = z.object({
  id: userId,
  phone: e164.or(z.literal("")),
  displayName: z.string(),
  about: z.string(),
  /** Names the current profile photo, or null when none or hidden. */
  photoId: photoId.nullable().default(null),
  deleted: z.boolean().optional(),
});
export type PublicProfile = z.infer<typeof PublicProfile>;

/**
 * A phone number saved in someone's contacts under the name they gave. The
 * number is the key: a contact need not have an account. `userId` names the
 * account using the number once discovery found one, else null.
 */
export const Contact = z.object({
  phone: e164,
  name: displayName,
  userId: userId.nullable(),
  addedAt: timestamp,
  updatedAt: timestamp,
});
export type Contact = z.infer<typeof Contact>;

/** A person someone blocked. */
export const BlockedUser = z.object({ userId, blockedAt: timestamp });
export type BlockedUser = z.infer<typeof BlockedUser>;

/**
 * A person's presence as another person may see it. Hidden presence
 * (privacy or a block) reads as offline with `lastSeen` null, the same as
 * never seen.
 */
export const Presence = z.object({
  online: z.boolean(),
  /** Server time the last device went away; null if hidden or never. */
  lastSeen: timestamp.nullable(),
});
export type Presence = z.infer<typeof Presence>;

/** A chat member's composer state. */
export const TypingState = z.enum(["typing", "recording", "idle"]);
export type TypingState = z.infer<typeof TypingState>;

export const Device = z.object({
  id: deviceId,
  name: z.string(),
  createdAt: timestamp,
  lastActiveAt: timestamp,
  /** True for the device that made the request. */
  current: z.boolean(),
});
export type Device = z.infer<typeof Device>;

export const ChatKind = z.enum(["direct", "group"]);
export type ChatKind = z.infer<typeof ChatKind>;

export const MemberRole = z.enum(["admin", "member"]);
export type MemberRole = z.infer<typeof MemberRole>;

/**
 * One row of a person's chat list, kept by their UserHub. `lastSeq` and
 * `unread` let a client tell what it has missed without fetching messages.
 */
export const ChatSummary = z.object({
  id: chatId,
  kind: ChatKind,
  /** Group name; null for one-to-one chats, which show the other person. */
  name: z.string().nullable(),
  /** The other person of a one-to-one chat; null for groups. */
  peerId: userId.nullable(),
  role: MemberRole,
  memberCount: z.number().int().nonnegative(),
  lastSeq: seq,
  lastActivityAt: timestamp,
  /** Messages from others after this person's read position. */
  unread: z.number().int().nonnegative(),
  /** This person's read position: the highest sequence they have read. */
  readSeq: seq,
  pinned: z.boolean(),
  archived: z.boolean(),
  /** Notifications muted until this time; 0 when not muted. */
  mutedUntil: timestamp,
  /** True once this person left or was removed; history stays readable. */
  left: z.boolean(),
  /**
   * The group's running call (protocol/group-calls.ts), for the chat
   * list's "Call in progress — Join"; null when none runs.
   */
  groupCall: z
    .object({
      callId: z.string(),
      video: z.boolean(),
      participants: z.number().int().nonnegative(),
    })
    .nullable()
    .default(null),
});
export type ChatSummary = z.infer<typeof ChatSummary>;

/** Receipt positions of one member: every sequence up to them is covered. */
export const MemberReceipt = z.object({
  userId,
  deliveredSeq: seq,
  /** 0 when the member hides read receipts or the viewer does. */
  readSeq: seq,
});
export type MemberReceipt = z.infer<typeof MemberReceipt>;

export const ChatMember = z.object({
  userId,
  role: MemberRole,
  joinedAt: timestamp,
  deliveredSeq: seq,
  readSeq: seq,
});
export type ChatMember = z.infer<typeof ChatMember>;

export const ChatDetail = z.object({
  id: chatId,
  kind: ChatKind,
  name: z.string().nullable(),
  createdAt: timestamp,
  createdBy: userId,
  lastSeq: seq,
  members: z.array(ChatMember),
  /** People whose account was deleted while they were members. */
  deletedMemberIds: z.array(userId).optional(),
});
export type ChatDetail = z.infer<typeof ChatDetail>;

/**
 * What a message is to the server. The body of `message`, `edit` and
 * `reaction` is opaque to the server; `ref` names the message that an edit or
 * reaction applies to, so that deleting a message for everyone also removes
 * its edits. `system` messages are written by the ChatRoom itself.
 * `commit` messages contain an MLS commit (see protocol/mls.ts) that
 * members apply in order. Neither kind shows as a chat bubble.
 */
export const MessageKind = z.enum([
  "message",
  "edit",
  "reaction",
  "system",
  "commit",
]);
export type MessageKind = z.infer<typeof MessageKind>;

export const ClientMessageKind = z.enum(["message", "edit", "reaction"]);
export type ClientMessageKind = z.infer<typeof ClientMessageKind>;

/** An opaque message body: a string of at most 256 KiB of UTF-8. */
export const messageBody = z.string().refine(
  // A UTF-16 code unit takes at most 3 bytes of UTF-8, so most bodies
  // pass without being encoded.
  (value) =>
    value.length * 3 <= MAX_BODY_BYTES || utf8Length(value) <= MAX_BODY_BYTES,
  `must be at most ${MAX_BODY_BYTES} bytes of UTF-8`,
);

/** A message as the sender hands it over, before it has a sequence number. */
export const OutgoingMessage = z
  .object({
    id: messageId,
    kind: ClientMessageKind,
    ref: messageId.optional(),
    body: messageBody,
    /**
     * Files the body refers to, each a finished upload of the sender in
     * this chat (protocol/media.ts). Routing data only: deleting the
     * message for everyone deletes them.
     */
    media: z
      .array(mediaId)
      .min(1, "must list at least one file when present")
      .max(
        MAX_MEDIA_PER_MESSAGE,
        `must list at most ${MAX_MEDIA_PER_MESSAGE} files`,
      )
      .optional(),
    /**
     * The encrypted notification preview (protocol/push.ts) that a push
     * to an absent device carries. The server passes it on and never
     * stores it.
     */
    preview: encryptedPreview.optional(),
  })
  .refine((m) => m.kind === "message" || m.ref !== undefined, {
    message: "is required for edits and reactions",
    path: ["ref"],
  })
  .refine((m) => m.kind === "message" || m.media === undefined, {
    message: "is allowed on messages only",
    path: ["media"],
  });
export type OutgoingMessage = z.infer<typeof OutgoingMessage>;

/** A message as the ChatRoom stored it. */
export const StoredMessage = z.object({
  id: messageId,
  chatId,
  seq,
  kind: MessageKind,
  ref: messageId.nullable(),
  senderId: userId,
  senderDeviceId: deviceId.nullable(),
  body: z.string(),
  /** Server time at which the ChatRoom stored it. */
  ts: timestamp,
  /** Deleted for everyone: the body is gone and reads as "". */
  deleted: z.boolean(),
  /**
   * The sender's encrypted preview, on the live copy a room hands to the
   * hubs only; it is neither stored nor sent to devices.
   */
  preview: encryptedPreview.optional(),
});
export type StoredMessage = z.infer<typeof StoredMessage>;

/** Body of a `system` message, as JSON. */
export const SystemEvent = z.discriminatedUnion("event", [
  z.object({ event: z.literal("created"), actorId: userId, name: z.string() }),
  z.object({
    event: z.literal("added"),
    actorId: userId,
    targetIds: z.array(userId),
  }),
  z.object({ event: z.literal("removed"), actorId: userId, targetId: userId }),
  z.object({ event: z.literal("left"), actorId: userId }),
  /** The actor deleted their account, which also left the chat. */
  z.object({ event: z.literal("deleted"), actorId: userId }),
  z.object({ event: z.literal("renamed"), actorId: userId, name: z.string() }),
  z.object({ event: z.literal("promoted"), actorId: userId, targetId: userId }),
  z.object({ event: z.literal("demoted"), actorId: userId, targetId: userId }),
  CallEvent,
  GroupCallEvent,
]);
export type SystemEvent = z.infer<typeof SystemEvent>;
