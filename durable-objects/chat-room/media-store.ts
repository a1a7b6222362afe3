/**
 * Tables of the chat's media uploads (protocol/media.ts).
 *
 * - `media`: one row per upload. `state` is "uploading" until R2 completed
 *   the multipart upload, then "complete", then "attached" once a message
 *   lists it, with that message's id in `message_id`.
 * - `media_part`: the parts of an upload that arrived, with the ETag R2
 *   returned for each, which completing the upload needs.
 * - `media_trash`: R2 objects and multipart uploads that are no longer
 *   referenced and wait to be deleted. A row stays until R2 confirmed the
 *   delete, so a failed delete is retried by the room's alarm.
 */
export const MEDIA_MIGRATION = `CREATE TABLE media (
     media_id TEXT PRIMARY KEY,
     uploader_id TEXT NOT NULL,
     uploader_device_id TEXT NOT NULL,
     size INTEGER NOT NULL,
     upload_id TEXT NOT NULL,
     state TEXT NOT NULL,
     message_id TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX media_message ON media (message_id)
     WHERE message_id IS NOT NULL;
   CREATE INDEX media_unattached ON media (created_at)
     WHERE state != 'attached';
   CREATE TABLE media_part (
     media_id TEXT NOT NULL,
     part INTEGER NOT NULL,
     etag TEXT NOT NULL,
     size INTEGER NOT NULL,
     PRIMARY KEY (media_id, part)
   );
   CREATE TABLE media_trash (
     key TEXT PRIMARY KEY,
     upload_id TEXT,
     trashed_at INTEGER NOT NULL
   );`;

export type MediaState = "uploading" | "complete" | "attached";

export type MediaRow = {
  media_id: string;
  uploader_id: string;
  uploader_device_id: string;
  /** Ciphertext bytes declared when the upload was created. */
  size: number;
  /** The R2 multipart upload id. */
  upload_id: string;
  state: MediaState;
  message_id: string | null;
  created_at: number;
};

export type MediaPart = {
  part: number;
  etag: string;
  size: number;
};

/**
 * An R2 object to delete. `uploadId` is set when the multipart upload may
 * still be open and must be aborted as well.
 */
export interface TrashedObject {
  key: string;
  uploadId: string | null;
}

const MEDIA_COLUMNS =
  "media_id, uploader_id, uploader_device_id, size, upload_id, state, message_id, created_at";

/** Returns the R2 key of a chat's media object. */
export function mediaKey(chatId: string, mediaId: string): string {
  return `media/${chatId}/${mediaId}`;
}

/** Typed queries over the media tables of one ChatRoom. All calls are sync. */
export class MediaStore {
  constructor(private readonly sql: SqlStorage) {}

  media(mediaId: string): MediaRow | undefined {
    return this.sql
      .exec<MediaRow>(
        `SELECT ${MEDIA_COLUMNS} FROM media WHERE media_id = ?`,
        mediaId,
      )
      .toArray()[0];
  }

  insert(row: MediaRow): void {
    this.sql.exec(
      `INSERT INTO media (${MEDIA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      row.media_id,
      row.uploader_id,
      row.uploader_device_id,
      row.size,
      row.upload_id,
      row.state,
      row.message_id,
      row.created_at,
    );
  }

  /** Parts that arrived, by ascending part number. */
  parts(mediaId: string): MediaPart[] {
    return this.sql
      .exec<MediaPart>(
        "SELECT part, etag, size FROM media_part WHERE media_id = ? ORDER BY part",
        mediaId,
      )
      .toArray();
  }

  /** Records a part, replacing an earlier upload of the same part. */
  recordPart(mediaId: string, part: MediaPart): void {
    this.sql.exec(
      `INSERT OR REPLACE INTO media_part (media_id, part, etag, size)
       VALUES (?, ?, ?, ?)`,
      mediaId,
      part.part,
      part.etag,
      part.size,
    );
  }

  /** Marks an upload complete. Its parts are no longer needed. */
  markComplete(mediaId: string): void {
    this.sql.exec(
      "UPDATE media SET state = 'complete' WHERE media_id = ?",
      mediaId,
    );
    this.sql.exec("DELETE FROM media_part WHERE media_id = ?", mediaId);
  }

  attach(mediaId: string, messageId: string): void {
    this.sql.exec(
      "UPDATE media SET state = 'attached', message_id = ? WHERE media_id = ?",
      messageId,
      mediaId,
    );
  }

  /** Uploads attached to a message. */
  attachedTo(messageId: string): MediaRow[] {
    return this.sql
      .exec<MediaRow>(
        `SELECT ${MEDIA_COLUMNS} FROM media WHERE message_id = ?`,
        messageId,
      )
      .toArray();
  }

  /** Every upload of one person, attached or not. */
  uploadsOf(userId: string): MediaRow[] {
    return this.sql
      .exec<MediaRow>(
        `SELECT ${MEDIA_COLUMNS} FROM media WHERE uploader_id = ?`,
        userId,
      )
      .toArray();
  }

  /** Unattached uploads created at or before `cutoff`. */
  unattachedSince(cutoff: number): MediaRow[] {
    return this.sql
      .exec<MediaRow>(
        `SELECT ${MEDIA_COLUMNS} FROM media
         WHERE state != 'attached' AND created_at <= ?`,
        cutoff,
      )
      .toArray();
  }

  /** Creation time of the oldest unattached upload, or undefined. */
  oldestUnattachedAt(): number | undefined {
    return (
      this.sql
        .exec<{ at: number | null }>(
          "SELECT MIN(created_at) AS at FROM media WHERE state != 'attached'",
        )
        .one().at ?? undefined
    );
  }

  /**
   * Deletes the rows of an upload and queues its R2 object for deletion,
   * with its multipart upload unless R2 already completed it.
   */
  trash(row: MediaRow, chatId: string, now: number): void {
    const uploadId = row.state === "uploading" ? row.upload_id : null;
    this.sql.exec(
      `INSERT OR REPLACE INTO media_trash (key, upload_id, trashed_at)
       VALUES (?, ?, ?)`,
      mediaKey(chatId, row.media_id),
      uploadId,
      now,
    );
    this.sql.exec("DELETE FROM media_part WHERE media_id = ?", row.media_id);
    this.sql.exec("DELETE FROM media WHERE media_id = ?", row.media_id);
  }

  trashed(): TrashedObject[] {
    return this.sql
      .exec<{ key: string; upload_id: string | null }>(
        "SELECT key, upload_id FROM media_trash ORDER BY trashed_at",
      )
      .toArray()
      .map((row) => ({ key: row.key, uploadId: row.upload_id }));
  }

  forgetTrashed(key: string): void {
    this.sql.exec("DELETE FROM media_trash WHERE key = ?", key);
  }
}
