import { z } from "zod";
import { chatId, deviceId, seq, timestamp, userId } from "./ids.ts";
import { MAX_HISTORY_PAGE } from "./limits.ts";
import { MessageKind, type StoredMessage } from "./models.ts";

/**
 * The compact form of a `messages` page, sent in reply to a `sync` that
 * sets `compact`. A catch-up page repeats the chat id, the sender, the
 * field names and the usual defaults in every message; a batch states
 * each once:
 *
 * - sequences are consecutive from `firstSeq`, one per row;
 * - each row's `ts` is the previous row's plus its delta (the first row's
 *   is `firstTs` plus its delta), so a delta may be negative;
 * - `authors` lists each sender id with a sender device id once, and a row
 *   names its author by index;
 * - a message id is its 16 bytes in base64url without padding (22
 *   characters, `compactUuid`);
 * - a row of 4 items is a plain message: kind "message", no ref, not
 *   deleted. A row of 7 items adds kind, ref and deleted.
 *
 * `decodeMessageBatch` turns a batch back into the page it stands for.
 */

/** A UUID as 22 base64url characters. */
export const compactId = z
  .string()
  .regex(
    /^[A-Za-z0-9_-]{21}[AQgw]$/,
    "must be a UUID in 22 base64url characters",
  );

const batchRow = z.union([
  z.tuple([
    compactId,
    z.number().int(),
    z.number().int().nonnegative(),
    z.string(),
  ]),
  z.tuple([
    compactId,
    z.number().int(),
    z.number().int().nonnegative(),
    z.string(),
    MessageKind,
    compactId.nullable(),
    z.boolean(),
  ]),
]);
export type BatchRow = z.infer<typeof batchRow>;

export const MessageBatchFrame = z.object({
  type: z.literal("batch"),
  rid: z.string().max(64).optional(),
  chatId,
  firstSeq: seq.min(1),
  firstTs: timestamp,
  authors: z.array(z.tuple([userId, deviceId.nullable()])),
  rows: z.array(batchRow).min(1).max(MAX_HISTORY_PAGE),
  /** More messages exist beyond this page in the direction asked. */
  hasMore: z.boolean(),
});
export type MessageBatchFrame = z.infer<typeof MessageBatchFrame>;

const BASE64URL =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Returns a lower-case UUID string as 22 base64url characters. */
export function compactUuid(uuid: string): string {
  const hex = uuid.replaceAll("-", "");
  let out = "";
  // Three bytes (six hex digits) make four characters. The 16th byte is
  // left over and makes the last two characters.
  for (let i = 0; i < 32; i += 6) {
    const chunk = hex.slice(i, i + 6);
    const bits = chunk.length * 4;
    const value = parseInt(chunk, 16) << (24 - bits);
    const characters = Math.ceil(bits / 6);
    for (let j = 0; j < characters; j++) {
      out += BASE64URL[(value >> (18 - 6 * j)) & 63];
    }
  }
  return out;
}

/** Returns the lower-case UUID string of a `compactUuid` result. */
export function expandUuid(compact: string): string {
  let hex = "";
  for (let i = 0; i < 22; i += 4) {
    const chunk = compact.slice(i, i + 4);
    let value = 0;
    for (const character of chunk) {
      value = (value << 6) | BASE64URL.indexOf(character);
    }
    const bits = chunk.length * 6;
    const bytes = Math.floor(bits / 8);
    value >>= bits - bytes * 8;
    hex += value.toString(16).padStart(bytes * 2, "0");
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Encodes a page of one chat as a batch. Returns null when the page is
 * empty or its sequences are not consecutive, because a batch cannot state
 * that, and the caller then sends the page as `messages`.
 */
export function encodeMessageBatch(
  page: { chatId: string; messages: StoredMessage[]; hasMore: boolean },
  rid: string | undefined,
): MessageBatchFrame | null {
  const first = page.messages[0];
  if (first === undefined) return null;
  const authors: [string, string | null][] = [];
  const authorIndex = new Map<string, number>();
  const rows: BatchRow[] = [];
  let previousTs = first.ts;
  for (const [index, message] of page.messages.entries()) {
    if (message.seq !== first.seq + index) return null;
    const key = `${message.senderId} ${message.senderDeviceId ?? ""}`;
    let author = authorIndex.get(key);
    if (author === undefined) {
      author = authors.length;
      authors.push([message.senderId, message.senderDeviceId]);
      authorIndex.set(key, author);
    }
    const id = compactUuid(message.id);
    const delta = message.ts - previousTs;
    previousTs = message.ts;
    const plain =
      message.kind === "message" && message.ref === null && !message.deleted;
    rows.push(
      plain
        ? [id, delta, author, message.body]
        : [
            id,
            delta,
            author,
            message.body,
            message.kind,
            message.ref === null ? null : compactUuid(message.ref),
            message.deleted,
          ],
    );
  }
  const frame: MessageBatchFrame = {
    type: "batch",
    chatId: page.chatId,
    firstSeq: first.seq,
    firstTs: first.ts,
    authors,
    rows,
    hasMore: page.hasMore,
  };
  if (rid !== undefined) frame.rid = rid;
  return frame;
}

/** Returns the messages of a batch, in ascending sequence order. */
export function decodeMessageBatch(frame: MessageBatchFrame): StoredMessage[] {
  let ts = frame.firstTs;
  return frame.rows.map((row, index) => {
    const [id, delta, authorIndex, body] = row;
    const author = frame.authors[authorIndex];
    if (author === undefined) {
      throw new Error(
        `batch row ${index} names author ${authorIndex}, but the batch lists ${frame.authors.length}`,
      );
    }
    ts += delta;
    const long = row.length === 7;
    return {
      id: expandUuid(id),
      chatId: frame.chatId,
      seq: frame.firstSeq + index,
      kind: long ? row[4] : "message",
      ref: long && row[5] !== null ? expandUuid(row[5]) : null,
      senderId: author[0],
      senderDeviceId: author[1],
      body,
      ts,
      deleted: long ? row[6] : false,
    };
  });
}
