import { z } from "zod";

/**
 * Identifier formats. User, device and message ids are UUIDv7 strings made
 * where the thing is created: users and devices on the server, messages on
 * the sending client (so that a resend carries the same id).
 */

const UUID_RE =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A lower-case UUID string, any version. */
export const uuid = z.string().regex(UUID_RE, "must be a lower-case UUID");

/** A lower-case UUIDv7 string. */
export const uuidV7 = z
  .string()
  .regex(UUID_RE, "must be a lower-case UUID")
  .refine((value) => value[14] === "7", "must be a UUID of version 7");

export const userId = uuid;
export const deviceId = uuid;
export const messageId = uuidV7;
/** Names one upload of a profile photo; a new photo gets a new id. */
export const photoId = uuidV7;

/**
 * A chat id: `dm_` and 32 hex digits for a one-to-one chat (derived from the
 * two user ids, so opening the same chat twice finds the same one), or `g_`
 * and a UUID for a group.
 */
export const chatId = z
  .string()
  .regex(
    /^(dm_[0-9a-f]{32}|g_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/,
    "must be a chat id (dm_… or g_…)",
  );

/** A phone number in E.164 form: +, country code, up to 15 digits. */
export const e164 = z
  .string()
  .regex(/^\+[1-9][0-9]{6,14}$/, "must be a phone number in E.164 form");

/** Milliseconds since the Unix epoch, always taken from the server clock. */
export const timestamp = z.number().int().nonnegative();

/** A chat sequence number; the first message of a chat has sequence 1. */
export const seq = z.number().int().nonnegative();

/** Bytes of `text` once encoded as UTF-8. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}
