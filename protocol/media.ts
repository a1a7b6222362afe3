import { z } from "zod";

/**
 * Media: photos, videos, voice notes and files sent in a chat. The sender
 * encrypts a file on its device and uploads only ciphertext, so the server
 * stores bytes it cannot read. Of the file it stores only the chat, the
 * uploader and the encrypted size. The key, the hash, the name and the
 * type travel inside the MLS-encrypted message that refers to the file.
 *
 * Encryption (done by the clients, fixed by this protocol so that any
 * client reads any other's files): the plaintext is cut into chunks of
 * MEDIA_CHUNK_BYTES (the last one may be shorter, and an empty file is one
 * empty chunk). Chunk i is sealed with AES-256-GCM under the file's key.
 * Its 12-byte nonce is the file's random base nonce with the last four
 * bytes XORed with i (big-endian). Its additional data is 5 bytes: i as a
 * big-endian uint32, then 1 for the last chunk and 0 for the others.
 * Chunks can thus be neither reordered nor dropped from the end.
 * Chunk i starts at i × MEDIA_CIPHER_CHUNK_BYTES in the ciphertext, so a
 * byte range of the plaintext maps to a byte range of the ciphertext, and
 * seeking in a video needs only the chunks around the position.
 *
 * Uploads are R2 multipart uploads of MEDIA_PART_BYTES per part (the last
 * part may be shorter), resumable part by part:
 *
 * - POST   /api/chats/:chatId/media                       CreateUploadBody → 201 UploadState
 * - GET    /api/chats/:chatId/media/:mediaId/upload        → UploadState (which parts arrived)
 * - PUT    /api/chats/:chatId/media/:mediaId/parts/:part   the part's bytes → 204
 * - POST   /api/chats/:chatId/media/:mediaId/complete      → 200 UploadState (complete: true)
 * - DELETE /api/chats/:chatId/media/:mediaId               cancels an upload not yet sent → 204
 * - GET    /api/chats/:chatId/media/:mediaId               the ciphertext; honours one `Range`
 *
 * A finished upload is attached to a message by listing its id in the
 * message's `media` (OutgoingMessage). Only the uploader may attach it,
 * once, in the chat it was uploaded to. Every request is checked against
 * the chat's current members: a removed member loses access at once, and
 * "no such file" and "not a member" get the same 404. Deleting a message
 * for everyone deletes its files.
 */

/** Plaintext bytes per encrypted chunk. */
export const MEDIA_CHUNK_BYTES = 64 * 1024;
/** Bytes AES-GCM adds to each chunk (its tag). */
export const MEDIA_CHUNK_TAG_BYTES = 16;
/** Ciphertext bytes of a full chunk. */
export const MEDIA_CIPHER_CHUNK_BYTES =
  MEDIA_CHUNK_BYTES + MEDIA_CHUNK_TAG_BYTES;
/**
 * Ciphertext bytes per upload part: 128 full chunks, about 8 MiB. R2 wants
 * every part but the last of one size and at least 5 MiB.
 */
export const MEDIA_PART_BYTES = 128 * MEDIA_CIPHER_CHUNK_BYTES;
/** Largest file a person may send, in plaintext bytes (2 GiB). */
export const MAX_MEDIA_BYTES = 2 * 1024 * 1024 * 1024;
/** Most files one message may carry. The app sends one per message. */
export const MAX_MEDIA_PER_MESSAGE = 10;
/** Uploads one person may start per hour. */
export const MEDIA_UPLOADS_PER_HOUR = 300;
/** Ciphertext bytes one person may declare for uploads per day (20 GiB). */
export const MEDIA_BYTES_PER_DAY = 20 * 1024 * 1024 * 1024;
/**
 * Time after which an upload that was never attached to a message is
 * deleted with its parts.
 */
export const MEDIA_UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

/** Chunks of a file of `plainBytes` bytes (an empty file has one). */
export function chunkCount(plainBytes: number): number {
  return Math.max(1, Math.ceil(plainBytes / MEDIA_CHUNK_BYTES));
}

/** Ciphertext bytes of a file of `plainBytes` bytes. */
export function cipherSize(plainBytes: number): number {
  return plainBytes + chunkCount(plainBytes) * MEDIA_CHUNK_TAG_BYTES;
}

/** Largest ciphertext an upload may declare. */
export const MAX_MEDIA_CIPHER_BYTES = cipherSize(MAX_MEDIA_BYTES);

/** Parts of an upload of `size` ciphertext bytes. */
export function partCount(size: number): number {
  return Math.max(1, Math.ceil(size / MEDIA_PART_BYTES));
}

/** Bytes of part `part` (1-based) of an upload of `size` ciphertext bytes. */
export function partBytes(size: number, part: number): number {
  const start = (part - 1) * MEDIA_PART_BYTES;
  return Math.max(0, Math.min(MEDIA_PART_BYTES, size - start));
}

/** 128 random bits, base64url: an id that cannot be guessed. */
export const mediaId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, "must be a media id (22 base64url characters)");
export type MediaId = z.infer<typeof mediaId>;

/** POST /api/chats/:chatId/media */
export const CreateUploadBody = z.object({
  /** Ciphertext bytes, `cipherSize` of the file. At least one tag. */
  size: z
    .number()
    .int()
    .min(MEDIA_CHUNK_TAG_BYTES, `must be at least ${MEDIA_CHUNK_TAG_BYTES}`)
    .max(
      MAX_MEDIA_CIPHER_BYTES,
      `must be at most ${MAX_MEDIA_CIPHER_BYTES} (a 2 GiB file)`,
    ),
});
export type CreateUploadBody = z.infer<typeof CreateUploadBody>;

/** The state of an upload: which parts arrived and whether it is complete. */
export const UploadState = z.object({
  mediaId,
  /** Ciphertext bytes. */
  size: z.number().int(),
  partBytes: z.number().int(),
  parts: z.number().int(),
  /** Part numbers (1-based) that arrived, ascending. */
  done: z.array(z.number().int()),
  complete: z.boolean(),
});
export type UploadState = z.infer<typeof UploadState>;

// Client names shared by the page and its service worker. They live here
// rather than in the app so that the uploader, loaded on demand, reaches
// them without importing the data layer.

/**
 * Cache Storage cache in which the page and its service worker keep
 * decrypted media, one Response per file under `mediaPath(mediaId)`, with
 * Content-Type and Content-Length.
 */
export const MEDIA_CACHE = "media-v1";

/** Same-origin path of a decrypted file, served by the service worker. */
export function mediaPath(mediaId: string): string {
  return `/media/${mediaId}`;
}

/**
 * JSON body of a failed GET `mediaPath(mediaId)` from the service worker,
 * whose status is 404 for `not_found` and 403 for `forbidden` (as the
 * server replied), and 502 for `damaged` (the ciphertext failed
 * authentication) and `unavailable` (another server or network failure).
 */
export const MediaReadError = z.object({
  code: z.enum(["not_found", "forbidden", "damaged", "unavailable"]),
  message: z.string(),
});
export type MediaReadError = z.infer<typeof MediaReadError>;

/**
 * BroadcastChannel on which the tab that uploads posts the progress of
 * each upload, so that every tab of the app, itself included, shows it.
 */
export const MEDIA_TRANSFER_CHANNEL = "messenger.media.v1";
