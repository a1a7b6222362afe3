import { z } from "zod";
import { chatId, messageId, seq, timestamp, userId } from "./ids.ts";
import { CallOutcome } from "./calls.ts";

/**
 * Web Push (RFC 8030, payloads encrypted with aes128gcm as in RFC 8291,
 * VAPID as in RFC 8292). A device registers the subscription its browser
 * made; its UserHub sends to it while the device has no open socket.
 *
 * HTTP routes, all for the signed-in device:
 * - GET /api/push/key: `VapidKey`, or 503 `unavailable` when the server
 *   has no VAPID keys.
 * - GET /api/push/subscription: `PushStatus` of this device.
 * - PUT /api/push/subscription with `PushSubscriptionBody`: stores or
 *   replaces this device's subscription; replies `PushStatus`.
 * - DELETE /api/push/subscription: forgets it; replies `PushStatus`.
 * - POST /api/chats/:chatId/read with `MarkReadBody`: the same as a `read`
 *   receipt frame, for a service worker that has no socket.
 */

/** Longest accepted subscription endpoint URL. */
export const MAX_PUSH_ENDPOINT_CHARS = 2048;

/** Largest push payload, as JSON text, before the aes128gcm encryption. */
export const MAX_PUSH_PAYLOAD_BYTES = 3072;

/** Longest encrypted preview a message may carry (`OutgoingMessage.preview`). */
export const MAX_PREVIEW_CHARS = 1024;

/** Characters of message text an encrypted preview keeps. */
export const PREVIEW_TEXT_CHARS = 120;

/** Prefix of an encrypted preview: `pv1.<epoch>.<base64url>`. */
export const PREVIEW_PREFIX = "pv1.";

const base64url = (bytes: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((bytes * 4) / 3)}}={0,2}$`),
      `must be ${bytes} bytes in base64url`,
    );

/** The server's VAPID public key: an uncompressed P-256 point, base64url. */
export const VapidKey = z.object({ publicKey: base64url(65) });
export type VapidKey = z.infer<typeof VapidKey>;

/**
 * Tells whether a subscription endpoint names its host by a public-looking
 * domain name. The server posts to the endpoint, so addresses such as
 * 127.0.0.1, [::1] or localhost are rejected.
 */
function isPushServiceHost(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (host.startsWith("[") || /^[0-9.]+$/.test(host)) return false;
  if (!host.includes(".") || host.endsWith(".")) return false;
  return !/(^|\.)(localhost|local|internal)$/.test(host);
}

/** `PushSubscription.toJSON()` as browsers produce it. */
export const PushSubscriptionBody = z.object({
  endpoint: z
    .string()
    .max(
      MAX_PUSH_ENDPOINT_CHARS,
      `must be at most ${MAX_PUSH_ENDPOINT_CHARS} characters`,
    )
    .refine((value) => {
      try {
        return new URL(value).protocol === "https:";
      } catch {
        return false;
      }
    }, "must be an https URL")
    .refine(
      (value) => !URL.canParse(value) || isPushServiceHost(new URL(value)),
      "must name a push service by domain name, not an IP address or a local name",
    ),
  expirationTime: timestamp.nullable().optional(),
  keys: z.object({
    /** The browser's P-256 public key for this subscription. */
    p256dh: base64url(65),
    /** The 16-byte authentication secret. */
    auth: base64url(16),
  }),
});
export type PushSubscriptionBody = z.infer<typeof PushSubscriptionBody>;

export const PushStatus = z.object({ subscribed: z.boolean() });
export type PushStatus = z.infer<typeof PushStatus>;

export const MarkReadBody = z.object({ seq });
export type MarkReadBody = z.infer<typeof MarkReadBody>;

/**
 * An encrypted notification preview (`pv1.<epoch>.<base64url>`), made by
 * the sender with a key from the MLS exporter of the chat's group at that
 * epoch. Opaque to the server.
 */
export const encryptedPreview = z
  .string()
  .max(MAX_PREVIEW_CHARS, `must be at most ${MAX_PREVIEW_CHARS} characters`)
  .regex(
    /^pv1\.[0-9]{1,20}\.[A-Za-z0-9_-]+$/,
    "must be an encrypted preview (pv1.<epoch>.<base64url>)",
  );

/** The `message` push: a new message from someone else (see PushPayload). */
export const MessagePush = z.object({
  v: z.literal(1),
  type: z.literal("message"),
  chatId,
  id: messageId,
  seq,
  senderId: userId,
  ts: timestamp,
  unread: z.number().int().nonnegative(),
  preview: encryptedPreview.optional(),
});

/**
 * The payload of a push, as JSON. Every payload names its chat, so the
 * service worker can group notifications by chat.
 *
 * - `message`: a new message from someone else. `unread` counts this
 *   person's unread messages in the chat, this one included, so one
 *   notification per chat can show "3 new messages". `preview` is the
 *   sender's encrypted preview when there was one.
 * - `read`: this person read the chat up to `readSeq` on another device;
 *   notifications of the chat up to it are closed.
 * - `deleted`: the message of the chat's newest push was deleted for
 *   everyone, so its notification, which may show its preview, is closed.
 * - `call`: an incoming call; `call.end`: it was answered elsewhere,
 *   cancelled or missed.
 */
export const PushPayload = z.discriminatedUnion("type", [
  MessagePush,
  z.object({
    v: z.literal(1),
    type: z.literal("read"),
    chatId,
    readSeq: seq,
  }),
  z.object({
    v: z.literal(1),
    type: z.literal("deleted"),
    chatId,
    id: messageId,
    seq,
  }),
  z.object({
    v: z.literal(1),
    type: z.literal("call"),
    chatId,
    callId: z.string().min(1).max(64),
    callerId: userId,
    video: z.boolean(),
    ts: timestamp,
  }),
  z.object({
    v: z.literal(1),
    type: z.literal("call.end"),
    chatId,
    callId: z.string().min(1).max(64),
    /** The outcome of the call. "missed" leaves a missed-call notification. */
    outcome: CallOutcome.optional(),
  }),
]);
export type PushPayload = z.infer<typeof PushPayload>;

/**
 * Returns the notification tag of a chat's messages. A new notification
 * with the tag replaces the chat's previous one instead of stacking.
 */
export function chatNotificationTag(id: string): string {
  return `chat:${id}`;
}

export function callNotificationTag(callId: string): string {
  return `call:${callId}`;
}
