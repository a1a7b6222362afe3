import { SystemEvent } from "../../../protocol/index.ts";

/**
 * Encoding of message bodies. The server treats a body as opaque bytes, so
 * this module is the only place that defines their format. Version 1 is JSON:
 *
 * - message  `{"v":1,"text":…,"replyTo"?:id}`
 * - edit     `{"v":1,"text":…}`
 * - reaction `{"v":1,"emoji":…}`, where "" removes the reaction
 *
 * Decoding never throws: a body this client cannot read (a newer version,
 * or garbage from a faulty client) decodes to empty text.
 */

const VERSION = 1;

export interface DecodedMessage {
  text: string;
  replyTo: string | null;
}

export function encodeMessage(text: string, replyTo?: string): string {
  return JSON.stringify(
    replyTo === undefined
      ? { v: VERSION, text }
      : { v: VERSION, text, replyTo },
  );
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
  const record = parseObject(body);
  return {
    text: stringField(record, "text") ?? "",
    replyTo: stringField(record, "replyTo"),
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
