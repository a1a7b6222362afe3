import { Dexie } from "dexie";
import { z } from "zod";
import { chatId, deviceId, timestamp } from "../../../protocol/ids.ts";
import { MAX_HISTORY_MESSAGES_PER_CHAT } from "../../../protocol/history.ts";
import { fromBase64url, sameBytes } from "../crypto/encoding.ts";
import { isEncryptedBody } from "../data/codec.ts";
import type { FoldRow, MessengerDb, StoredRow } from "../data/db.ts";

/**
 * The plaintext of a history archive: the readable messages of every chat
 * on the sending device, and their edits and reactions (folds). Rows keep
 * the fields of the `messages` and `folds` tables, but the receiver reads
 * only those below and decodes each body again, so a row's derived fields
 * (text, reactions) are never trusted.
 */

/** A message row in an archive: the fields the receiver reads. */
const ArchiveMessage = z.object({
  id: z.string().min(1).max(64),
  chatId,
  seq: z.number().int().positive(),
  kind: z.literal("message"),
  senderId: z.string().min(1).max(64),
  senderDeviceId: z.string().max(64).nullable(),
  ts: timestamp,
  body: z.string(),
  deleted: z.boolean(),
});
export type ArchiveMessage = z.infer<typeof ArchiveMessage>;

/** An edit or reaction row in an archive. */
const ArchiveFold = z.object({
  id: z.string().min(1).max(64),
  chatId,
  seq: z.number().int().positive(),
  kind: z.enum(["edit", "reaction"]),
  ref: z.string().min(1).max(64),
  senderId: z.string().min(1).max(64),
  body: z.string(),
  ts: timestamp,
  deleted: z.boolean(),
});

const ArchiveChat = z.object({
  chatId,
  messages: z.array(ArchiveMessage).max(MAX_HISTORY_MESSAGES_PER_CHAT),
  folds: z.array(ArchiveFold),
});
export type ArchiveChat = z.infer<typeof ArchiveChat>;

export const HistoryArchive = z.object({
  v: z.literal(1),
  fromDeviceId: deviceId,
  createdAt: timestamp,
  chats: z.array(ArchiveChat),
});
export type HistoryArchive = z.infer<typeof HistoryArchive>;

/** Returns true for a body that shows as text on a device: not a notice. */
export function isReadableBody(body: string): boolean {
  if (isEncryptedBody(body)) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    return !(
      typeof parsed === "object" &&
      parsed !== null &&
      "notice" in parsed
    );
  } catch {
    // A body this client cannot parse still is what the sender sent.
    return true;
  }
}

/**
 * Reads the archive of every chat on this device. Per chat it takes the
 * newest MAX_HISTORY_MESSAGES_PER_CHAT messages that the server stored and
 * this device can read, so no pending or failed own sends, no notices and
 * no bodies still encrypted. It adds the readable folds of those messages. System messages
 * and commits are left out, because the server sends them in plaintext.
 */
export async function buildArchive(
  db: MessengerDb,
  fromDeviceId: string,
): Promise<HistoryArchive> {
  const chatIds = await db.chats.toCollection().primaryKeys();
  const chats: ArchiveChat[] = [];
  for (const id of chatIds) {
    const rows = await db.messages
      .where("[chatId+seq]")
      .between([id, 1], [id, Dexie.maxKey])
      .reverse()
      .filter((row) => isArchived(row))
      .limit(MAX_HISTORY_MESSAGES_PER_CHAT)
      .toArray();
    if (rows.length === 0) continue;
    const ids = new Set(rows.map((row) => row.id));
    const folds = await db.folds
      .where("ref")
      .anyOf([...ids])
      .filter((fold) => fold.seq !== null && isReadableBody(fold.body))
      .toArray();
    chats.push({
      chatId: id,
      messages: rows.reverse().map(toArchiveMessage),
      folds: folds.map(toArchiveFold),
    });
  }
  return { v: 1, fromDeviceId, createdAt: Date.now(), chats };
}

function isArchived(row: StoredRow): boolean {
  return (
    row.kind === "message" &&
    row.seq !== null &&
    row.status === "sent" &&
    (row.deleted || isReadableBody(row.body))
  );
}

function toArchiveMessage(row: StoredRow): ArchiveMessage {
  return {
    id: row.id,
    chatId: row.chatId,
    seq: row.seq ?? 0,
    kind: "message",
    senderId: row.senderId,
    senderDeviceId: row.senderDeviceId,
    ts: row.ts,
    body: row.body,
    deleted: row.deleted,
  };
}

function toArchiveFold(fold: FoldRow): z.infer<typeof ArchiveFold> {
  return { ...fold, seq: fold.seq ?? 0 };
}

/** Byte length of the AES-GCM nonce prepended to the archive ciphertext. */
const NONCE_BYTES = 12;

async function pipeBytes(
  bytes: Uint8Array<ArrayBuffer>,
  transform: CompressionStream | DecompressionStream,
): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Encrypts an archive: JSON, gzip, then AES-256-GCM under a fresh key with
 * a random 12-byte nonce in front. Returns the ciphertext and the raw key.
 */
export async function sealArchive(
  archive: HistoryArchive,
): Promise<{ ciphertext: Uint8Array<ArrayBuffer>; key: Uint8Array }> {
  const json = new TextEncoder().encode(JSON.stringify(archive));
  const compressed = await pipeBytes(json, new CompressionStream("gzip"));
  const key = crypto.getRandomValues(new Uint8Array(32));
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    key,
    "AES-GCM",
    false,
    ["encrypt"],
  );
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce },
    cryptoKey,
    compressed,
  );
  const ciphertext = new Uint8Array(NONCE_BYTES + sealed.byteLength);
  ciphertext.set(nonce);
  ciphertext.set(new Uint8Array(sealed), NONCE_BYTES);
  return { ciphertext, key };
}

/** A history archive that cannot be used, with the reason for the person. */
export class ArchiveError extends Error {
  override name = "ArchiveError";
}

/**
 * Decrypts and validates an archive made by sealArchive. Raises an
 * ArchiveError when the key does not open it or its content is invalid.
 */
export async function openArchive(
  ciphertext: Uint8Array<ArrayBuffer>,
  key: Uint8Array,
): Promise<HistoryArchive> {
  if (ciphertext.length <= NONCE_BYTES) {
    throw new ArchiveError("the archive is too short to be encrypted");
  }
  let json: string;
  try {
    const cryptoKey = await crypto.subtle.importKey(
      "raw",
      new Uint8Array(key),
      "AES-GCM",
      false,
      ["decrypt"],
    );
    const compressed = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: ciphertext.subarray(0, NONCE_BYTES) },
      cryptoKey,
      ciphertext.subarray(NONCE_BYTES),
    );
    const bytes = await pipeBytes(
      new Uint8Array(compressed),
      new DecompressionStream("gzip"),
    );
    json = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ArchiveError("the archive could not be decrypted");
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ArchiveError("the archive is not valid JSON");
  }
  const parsed = HistoryArchive.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArchiveError(
      `the archive is invalid at ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "unknown"}`,
    );
  }
  return parsed.data;
}

/** Returns the SHA-256 of `bytes`. */
export async function sha256(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * Checks downloaded archive bytes against the size and SHA-256 of their
 * envelope. Raises an ArchiveError when either differs.
 */
export async function checkArchive(
  ciphertext: Uint8Array<ArrayBuffer>,
  envelope: { sha256: string; archiveBytes: number },
): Promise<void> {
  if (ciphertext.length !== envelope.archiveBytes) {
    throw new ArchiveError(
      `the archive has ${ciphertext.length} bytes, not the ${envelope.archiveBytes} announced`,
    );
  }
  const expected = fromBase64url(envelope.sha256);
  if (expected === null || !sameBytes(await sha256(ciphertext), expected)) {
    throw new ArchiveError("the archive does not match its hash");
  }
}
