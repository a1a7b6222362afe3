import { SystemEvent } from "../../../protocol/index.ts";
import { ENCRYPTED_BODY_PREFIX } from "../../../protocol/mls.ts";
import { parseMediaItem } from "../media/schema.ts";
import type { MediaItem } from "../media/types.ts";

/**
 * Encoding of message bodies. The server treats a body as opaque bytes, so
 * this module is the only place that defines their format. Version 1 is JSON:
 *
 * - message  `{"v":1,"text":…,"replyTo"?:id,"media"?:MediaItem}`, where
 *   the text of a message with media is its caption
 * - edit     `{"v":1,"text":…}`
 * - reaction `{"v":1,"emoji":…}`, where "" removes the reaction
 * - notice   `{"v":1,"notice":…}`, written by this device in place of a
 *   message it cannot decrypt (see `Notice`). It is never sent.
 *
 * On the wire every body is end-to-end encrypted (`mls1:` and an MLS
 * message, see protocol/mls.ts). A message whose body is still encrypted
 * here waits for a commit or a Welcome, and reads as a waiting notice.
 *
 * Decoding never throws: a body this client cannot read (a newer version,
 * or garbage from a faulty client) decodes to empty text, and a malformed
 * `media` decodes to a message without media that has `mediaError` set.
 */

const VERSION = 1;

export interface DecodedMessage {
  text: string;
  replyTo: string | null;
  media: MediaItem | null;
  /** The body carried a file description that is invalid, so `media` is null. */
  mediaError: boolean;
}

/**
 * Why a received message shows a notice instead of its text:
 * - `before_join`: it was encrypted before this device joined the chat's
 *   group, so this device never had its key.
 * - `undecryptable`: MLS rejected it (damaged, forged, or a key that is
 *   gone).
 */
export type Notice = "before_join" | "undecryptable";

export const NOTICE_TEXT: Record<Notice | "waiting", string> = {
  waiting:
    "Waiting for this message. It shows once this device can decrypt it.",
  before_join:
    "This message was sent before this device was added to the chat.",
  undecryptable: "This message could not be decrypted.",
};

export function isEncryptedBody(body: string): boolean {
  return body.startsWith(ENCRYPTED_BODY_PREFIX);
}

export function encodeNotice(notice: Notice): string {
  return JSON.stringify({ v: VERSION, notice });
}

export function encodeMessage(
  text: string,
  replyTo?: string,
  media?: MediaItem,
): string {
  return JSON.stringify({
    v: VERSION,
    text,
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(media === undefined ? {} : { media }),
  });
}

export function encodeEdit(text: string): string {
  return JSON.stringify({ v: VERSION, text });
}

export function encodeReaction(emoji: string): string {
  return JSON.stringify({ v: VERSION, emoji });
}

function parseObject(body: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body);
    if (typeof value !== "object" || value === null) return null;
    if (Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    return record.v === VERSION ? record : null;
  } catch {
    return null;
  }
}

function stringField(record: Record<string, unknown> | null, key: string) {
  const value = record?.[key];
  return typeof value === "string" ? value : null;
}

export function decodeMessage(body: string): DecodedMessage {
  if (isEncryptedBody(body)) {
    return {
      text: NOTICE_TEXT.waiting,
      replyTo: null,
      media: null,
      mediaError: false,
    };
  }
  const record = parseObject(body);
  const notice = stringField(record, "notice");
  if (notice === "before_join" || notice === "undecryptable") {
    return {
      text: NOTICE_TEXT[notice],
      replyTo: null,
      media: null,
      mediaError: false,
    };
  }
  const media =
    record?.media === undefined ? null : parseMediaItem(record.media);
  return {
    text: stringField(record, "text") ?? "",
    replyTo: stringField(record, "replyTo"),
    media,
    mediaError: record?.media !== undefined && media === null,
  };
}

/** Returns the new text of an edit, or null when the body is unreadable. */
export function decodeEdit(body: string): string | null {
  return stringField(parseObject(body), "text");
}

/** Returns the emoji of a reaction ("" = removed), or null if unreadable. */
export function decodeReaction(body: string): string | null {
  return stringField(parseObject(body), "emoji");
}

/** Decodes the JSON body of a `system` message written by the ChatRoom. */
export function decodeSystem(body: string): SystemEvent | null {
  try {
    const result = SystemEvent.safeParse(JSON.parse(body));
    return result.success ? result.data : null;
  } catch {
    return null;
  }
}
