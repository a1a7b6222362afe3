/**
 * Limits shared by the server and the client. Each is enforced where data
 * enters: the protocol schemas reject larger values, and the client checks
 * them before queueing a send so that the person sees the error at once.
 */

/** Maximum UTF-8 size of the text of one message, in bytes (64 KiB). */
export const MAX_TEXT_BYTES = 64 * 1024;

/**
 * Maximum size of an opaque message body, in UTF-8 bytes (256 KiB). The
 * client encodes text, a quoted reply and later ciphertext into the body, and
 * JSON escaping can double the size of ordinary text, so this is four times
 * the text limit.
 */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Maximum length of one WebSocket text frame, in UTF-16 code units as
 * `String.length` counts them: a maximal message body plus room for the
 * JSON envelope and escaping. Larger frames get `too_large`, which names
 * the message of a `send` up to four times this length; longer frames are
 * rejected unparsed. JSON escapes a control character in six
 * characters, so a body within MAX_BODY_BYTES can still make a longer frame,
 * and clients check the encoded frame before queueing it.
 */
export const MAX_FRAME_CHARS = MAX_BODY_BYTES + 16 * 1024;

/** Maximum number of members of a group chat, admins included. */
export const MAX_GROUP_MEMBERS = 1024;

/** Maximum length of a group name, in characters. */
export const MAX_GROUP_NAME_CHARS = 100;

/** Maximum length of a display name, in characters. */
export const MAX_DISPLAY_NAME_CHARS = 64;

/** Maximum length of the profile "about" text, in characters. */
export const MAX_ABOUT_CHARS = 140;

/** Maximum length of a device name, in characters. */
export const MAX_DEVICE_NAME_CHARS = 64;

/** Maximum number of messages in one history page. */
export const MAX_HISTORY_PAGE = 200;

/**
 * Maximum size of one history page's messages as JSON, in UTF-8 bytes
 * (8 MiB). MAX_HISTORY_PAGE maximal bodies would make a 50 MiB page, over
 * the 32 MiB limit Cloudflare gives for one Workers RPC call, so a page
 * ends early, with `hasMore`, before it passes this size.
 */
export const MAX_HISTORY_PAGE_BYTES = 8 * 1024 * 1024;

/** How long after sending a person may still delete a message for everyone. */
export const DELETE_FOR_EVERYONE_WINDOW_MS = 48 * 60 * 60 * 1000;

/** Number of digits of a one-time sign-in code. */
export const OTP_DIGITS = 6;

/** How long a one-time code stays valid after it is sent. */
export const OTP_TTL_MS = 5 * 60 * 1000;

/** Wrong guesses allowed on one code before it is discarded. */
export const OTP_MAX_ATTEMPTS = 5;

/** Codes sent to one phone number per window before requests are rejected. */
export const OTP_SENDS_PER_NUMBER = 3;

/** Window of the per-number code limit. */
export const OTP_SEND_WINDOW_MS = 15 * 60 * 1000;

/** Code requests accepted from one client address per hour. */
export const OTP_SENDS_PER_ADDRESS_PER_HOUR = 20;

/** Code checks accepted from one client address per hour. */
export const OTP_VERIFIES_PER_ADDRESS_PER_HOUR = 60;

/** Messages one device may send per second, sustained. */
export const SENDS_PER_SECOND = 50;

/** Messages one device may send in a burst above the sustained rate. */
export const SEND_BURST = 200;

/**
 * Calls one device may start per minute, sustained. Every `call.start`
 * frame counts, rejected ones too. A person who calls, cancels and calls
 * again stays far below it, while a device cannot ring someone or fill a
 * chat with call entries in a loop.
 */
export const CALL_STARTS_PER_MINUTE = 10;

/** Calls one device may start in a burst above the sustained rate. */
export const CALL_START_BURST = 5;

/**
 * Requests for a call's ICE servers one person may make per hour. With
 * TURN configured each one has Cloudflare's TURN service issue
 * credentials. The app reuses a list for hours, so a person needs a few.
 */
export const ICE_SERVER_REQUESTS_PER_HOUR = 60;

/**
 * KeyPackages one person may claim per hour, over all chats. Adding a full
 * group of MAX_GROUP_MEMBERS people with four devices each claims 4,096,
 * so a person can create such a group within one hour.
 */
export const KEY_PACKAGE_CLAIMS_PER_HOUR = 5_000;

/**
 * KeyPackages one person may claim of one device per hour. A chat claims a
 * device once when it adds the device and again after a reset, so 20
 * covers a new device joining 20 chats with the same person in an hour.
 * One member then takes at most a fifth of the device's 100 stocked
 * KeyPackages per hour, and an online device refills its stock when it
 * gets `keys.low`.
 * NOTE: a device that stays offline for hours cannot refill, so one
 * member can still use up its stock over five hours, after which claims
 * get its last resort.
 */
export const KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR = 20;

/**
 * SFU sessions one person may open per SFU_SESSION_WINDOW_MS. A device
 * opens one when it joins a group call and one more on each reconnect.
 * 40 per 10 minutes lets a device reconnect every 15 s, or several
 * devices reconnect in a burst, but stops a loop from opening sessions.
 */
export const SFU_SESSIONS_PER_WINDOW = 40;

/** Window of the SFU session limit. */
export const SFU_SESSION_WINDOW_MS = 10 * 60 * 1000;

/**
 * A device sends an `ack` frame each time it has received this many
 * characters (UTF-16 code units of the frames' JSON text) since its last.
 */
export const ACK_EVERY_CHARS = 64 * 1024;

/**
 * Max characters (UTF-16 code units of JSON text) sent to one socket and
 * not yet acknowledged by `ack` frames. In workerd 1.20261103.1 a
 * server WebSocket's `bufferedAmount` is undefined (cloudflare/workerd
 * issue 988) and `send` never blocks, so a device that stops reading
 * would make its hub buffer without bound. Past this, the hub closes the
 * socket with CLOSE_TOO_SLOW instead of sending a live frame. Replies to
 * the device's requests count but never close it. The cap is two history
 * pages of MAX_HISTORY_PAGE_BYTES, so a device that reads one full page
 * still has room for live traffic.
 * NOTE: `sync` pages are not paced by acks, so a slow device that syncs
 * a long backlog can be closed by a live frame; its cursor has moved by
 * then, so each reconnect gets further.
 */
export const MAX_UNACKED_CHARS = 2 * MAX_HISTORY_PAGE_BYTES;

/** Maximum number of chats in one `sync` frame. */
export const MAX_SYNC_CHATS = 5000;

/**
 * Maximum chat list rows one `view` frame may name. A phone screen shows
 * about 10 rows and a desktop window about 20, so 50 leaves room for tall
 * windows while bounding the subscriptions one frame can create.
 */
export const MAX_VIEW_LISTED = 50;

/**
 * A typing indicator stays this long after the typer's last event, so it
 * clears by itself when an "idle" frame is lost. The composer repeats
 * "typing" every 3 s, so 6 s covers one lost repeat.
 */
export const TYPING_TTL_MS = 6_000;

/** "typing" repeats closer than this, per person and chat, are dropped. */
export const TYPING_REPEAT_MS = 2_000;

/** Maximum saved contacts per person. */
export const MAX_CONTACTS = 10_000;

/**
 * Maximum numbers in one discovery request or one contact import. Each
 * number costs up to two calls to other Durable Objects, so a full batch
 * stays at about 400 subrequests, well inside the 10,000 per request of
 * the Workers Paid plan.
 */
export const MAX_DISCOVERY_BATCH = 200;

/**
 * Maximum user ids in one POST /api/users/profiles request. Each id costs
 * one call to that person's UserHub, so a full batch is 200 subrequests:
 * inside the 10,000 per request of the Workers Paid plan, but over the 50
 * of the Free plan.
 */
export const MAX_PROFILE_BATCH = 200;

/**
 * Distinct phone numbers one person may check for an account per rolling
 * 24 hours, counting adds, imports, discovery and lookups alike. A number
 * checked again within the day does not count twice. At this rate one
 * account needs about 27 years to walk one million numbers, and every
 * account costs a verified phone number.
 */
export const DISCOVERY_NUMBERS_PER_DAY = 1_000;

/** Maximum edge of a stored profile photo, in pixels. */
export const PROFILE_PHOTO_EDGE = 512;

/** Largest profile photo upload, in bytes. */
export const MAX_PROFILE_PHOTO_BYTES = 256 * 1024;

/** Maximum blocked people per person. */
export const MAX_BLOCKED = 10_000;
