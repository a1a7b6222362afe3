import { z } from "zod";
import { deviceId, e164, photoId, seq, timestamp, userId } from "./ids.ts";
import {
  aboutText,
  Audience,
  BlockedUser,
  ChatDetail,
  Contact,
  ChatSummary,
  Device,
  displayName,
  groupName,
  LastSeenPrivacy,
  Me,
  MemberRole,
  OutgoingMessage,
  PublicProfile,
} from "./models.ts";
import {
  MAX_DEVICE_NAME_CHARS,
  MAX_DISCOVERY_BATCH,
  MAX_GROUP_MEMBERS,
  MAX_PROFILE_BATCH,
} from "./limits.ts";

/**
 * Request and response bodies of the HTTP API, all JSON. Errors come back as
 * `{ "error": ErrorBody }` with the status of the error code.
 */

/**
 * A phone number as a person typed it: E.164, or a national number together
 * with `region` (ISO 3166 alpha-2, for example "DE").
 */
export const PhoneInput = z.object({
  phone: z.string().trim().min(1, "must not be empty").max(32, "is too long"),
  region: z
    .string()
    .regex(/^[A-Z]{2}$/, "must be a two-letter country code")
    .optional(),
});

/** POST /api/auth/code */
export const RequestCodeBody = PhoneInput;
export const RequestCodeReply = z.object({
  phone: z.string(),
  expiresAt: z.number(),
});

/** POST /api/auth/verify */
export const VerifyCodeBody = PhoneInput.extend({
  code: z.string().regex(/^[0-9]{6}$/, "must be 6 digits"),
  deviceName: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(
      MAX_DEVICE_NAME_CHARS,
      `must be at most ${MAX_DEVICE_NAME_CHARS} characters`,
    ),
});
export const SessionReply = z.object({
  me: Me,
  deviceId,
  /** True when this sign-in created the account. */
  isNew: z.boolean(),
});

/** GET /api/me */
export const MeReply = z.object({ me: Me, deviceId });

/** PATCH /api/me */
export const UpdateProfileBody = z
  .object({ displayName: displayName.optional(), about: aboutText.optional() })
  .strict();

/** PATCH /api/me/settings */
export const UpdateSettingsBody = z
  .object({
    readReceipts: z.boolean().optional(),
    lastSeen: LastSeenPrivacy.optional(),
    aboutVisibility: Audience.optional(),
    photoVisibility: Audience.optional(),
  })
  .strict();

/**
 * PUT /api/me/photo with the image itself as the body (image/jpeg or
 * image/webp, square, at most MAX_PROFILE_PHOTO_BYTES; the browser scales
 * it down first). DELETE /api/me/photo removes it. The photo is served at
 * GET /api/users/:userId/photos/:photoId to those the owner's
 * `photoVisibility` allows, and returns 404 to everyone else.
 */
export const PhotoReply = z.object({ photoId });

/** GET /api/devices */
export const DevicesReply = z.object({ devices: z.array(Device) });

/** POST /api/users/lookup */
export const LookupBody = PhoneInput;

/**
 * DELETE /api/me: deletes the caller's account. The phone number of the
 * account, typed again, confirms the request.
 */
export const DeleteAccountBody = PhoneInput;
export const ProfileReply = z.object({ user: PublicProfile });

/**
 * POST /api/users/profiles: the profiles of many people at once, each as
 * its owner's about and photo audiences let the caller see it. Ids
 * without an account are absent from `users`.
 */
export const ProfilesBody = z
  .object({
    userIds: z
      .array(userId)
      .min(1, "must list at least one user id")
      .max(
        MAX_PROFILE_BATCH,
        `must list at most ${MAX_PROFILE_BATCH} user ids`,
      ),
  })
  .strict();
export const ProfilesReply = z.object({ users: z.array(PublicProfile) });

/** POST /api/chats/direct */
export const OpenDirectBody = z.object({ userId }).strict();

/** POST /api/chats/group */
export const CreateGroupBody = z
  .object({
    name: groupName,
    memberIds: z
      .array(userId)
      .max(
        MAX_GROUP_MEMBERS - 1,
        `must list at most ${MAX_GROUP_MEMBERS - 1} people`,
      ),
  })
  .strict();

export const ChatReply = z.object({ chat: ChatSummary });
export const ChatDetailReply = z.object({ chat: ChatDetail });

/** PATCH /api/chats/:chatId */
export const RenameGroupBody = z.object({ name: groupName }).strict();

/** POST /api/chats/:chatId/members */
export const AddMembersBody = z
  .object({
    userIds: z
      .array(userId)
      .min(1, "must list at least one person")
      .max(
        MAX_GROUP_MEMBERS - 1,
        `must list at most ${MAX_GROUP_MEMBERS - 1} people`,
      ),
  })
  .strict();

/** PATCH /api/chats/:chatId/members/:userId */
export const SetRoleBody = z.object({ role: MemberRole }).strict();

/** PATCH /api/inbox/:chatId */
export const UpdateInboxBody = z
  .object({
    pinned: z.boolean().optional(),
    archived: z.boolean().optional(),
    mutedUntil: z.number().int().nonnegative().optional(),
  })
  .strict();

/**
 * POST /api/chats/:chatId/messages: the `message` of a socket `send` frame,
 * for senders without a socket (the service worker). The reply carries the
 * seq and ts of `send.ok`, so a resend of a stored id gets the original ones.
 */
export const SendMessageBody = OutgoingMessage;
export const SendMessageReply = z.object({ seq, ts: timestamp });

/**
 * Accounts found for submitted numbers, and how many more distinct numbers
 * the person may check in the current 24 hours. Numbers without an account
 * are simply absent.
 */
export const DiscoveryMatch = z.object({ phone: e164, user: PublicProfile });
export type DiscoveryMatch = z.infer<typeof DiscoveryMatch>;

/** GET /api/contacts */
export const ContactsReply = z.object({ contacts: z.array(Contact) });

/**
 * POST /api/contacts, which adds or renames the contact of `phone`, checks
 * the number for an account (counting against the daily discovery limit)
 * and replies with `{ contact, user }`. `userId` is an account id the
 * caller already has, such as that of someone who wrote to them. When that
 * account uses the number, the contact is linked to it without a check,
 * because GET /api/users/:userId returns its number too. Numbers travel in
 * bodies, never in paths, because request logs keep paths.
 */
export const SaveContactBody = z
  .object({ phone: e164, name: displayName, userId: userId.optional() })
  .strict();
export const ContactReply = z.object({
  contact: Contact,
  /** The account using the number, or null when none (or not checked). */
  user: PublicProfile.nullable(),
});

/** POST /api/contacts/remove: deletes the contact of `phone` (204, or 404). */
export const RemoveContactBody = z.object({ phone: e164 }).strict();

/**
 * POST /api/contacts/import: adds or renames many contacts at once (a
 * vCard file, the Contact Picker). All are saved; as many as the daily
 * discovery limit allows are checked for an account, the rest keep
 * `userId` null and count in `unchecked`.
 */
export const ImportContactsBody = z
  .object({
    contacts: z
      .array(z.object({ phone: e164, name: displayName }).strict())
      .min(1, "must list at least one contact")
      .max(
        MAX_DISCOVERY_BATCH,
        `must list at most ${MAX_DISCOVERY_BATCH} contacts`,
      ),
  })
  .strict();
export const ImportContactsReply = z.object({
  contacts: z.array(Contact),
  matches: z.array(DiscoveryMatch),
  unchecked: z.number().int().nonnegative(),
  remaining: z.number().int().nonnegative(),
});

/**
 * POST /api/contacts/discover: which of these numbers have an account.
 * The reply covers only the numbers submitted, and a number that is a
 * saved contact gets its `userId` filled in. Over the daily limit the reply is
 * 429 rate_limited with `retryAfter`, and nothing is checked.
 */
export const DiscoverBody = z
  .object({
    phones: z
      .array(e164)
      .min(1, "must list at least one number")
      .max(
        MAX_DISCOVERY_BATCH,
        `must list at most ${MAX_DISCOVERY_BATCH} numbers`,
      ),
  })
  .strict();
export const DiscoverReply = z.object({
  matches: z.array(DiscoveryMatch),
  remaining: z.number().int().nonnegative(),
});

/** GET /api/blocks */
export const BlocksReply = z.object({ blocked: z.array(BlockedUser) });

/** GET /api/dev/sms?phone=… (development only) */
export const DevSmsReply = z.object({
  messages: z.array(
    z.object({ to: z.string(), body: z.string(), sentAt: z.number() }),
  ),
});
