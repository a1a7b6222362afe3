import { MEDIA_UNATTACHED_TTL_MS } from "../../protocol/index.ts";
import type { Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import type { MediaStore } from "./media-store.ts";
import type { RoomStore } from "./store.ts";

/** Delay before the alarm retries R2 deletes that failed. */
const TRASH_RETRY_MS = 60 * 1000;

/**
 * Deletion of the chat's media objects in R2. Rows leave the media table
 * at once and their objects wait in `media_trash` until R2 confirms the
 * delete. The room's alarm deletes uploads left unattached for
 * MEDIA_UNATTACHED_TTL_MS and retries failed deletes.
 */
export class MediaCleanup {
  constructor(
    private readonly store: RoomStore,
    private readonly media: MediaStore,
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
  ) {}

  /** Queues the R2 objects of a message's files for deletion. */
  trashAttached(messageId: string): void {
    const now = Date.now();
    for (const row of this.media.attachedTo(messageId)) {
      this.media.trash(row, this.chatId(), now);
    }
  }

  /** Queues every R2 object a person uploaded to this chat for deletion. */
  trashUploadsOf(userId: string): number {
    const now = Date.now();
    const rows = this.media.uploadsOf(userId);
    for (const row of rows) this.media.trash(row, this.chatId(), now);
    return rows.length;
  }

  /** Queues the uploads never attached within the TTL for deletion. */
  trashExpired(now: number): number {
    const expired = this.media.unattachedSince(now - MEDIA_UNATTACHED_TTL_MS);
    for (const row of expired) {
      this.media.trash(row, this.chatId(), now);
      log("media.upload_expired", {
        chatId: this.chatId(),
        userId: row.uploader_id,
        mediaId: row.media_id,
      });
    }
    return expired.length;
  }

  /**
   * Deletes the queued R2 objects, aborting multipart uploads that may be
   * open. A failed delete stays queued and the alarm retries it.
   */
  async purgeTrash(): Promise<void> {
    let failed = false;
    for (const item of this.media.trashed()) {
      try {
        if (item.uploadId !== null)
          await this.abortUpload(item.key, item.uploadId);
        await this.env.MEDIA.delete(item.key);
        this.media.forgetTrashed(item.key);
      } catch (error) {
        failed = true;
        log("media.delete_failed", {
          chatId: this.chatId(),
          key: item.key,
          error: errorMessage(error),
        });
      }
    }
    if (failed) await this.scheduleAlarm(Date.now() + TRASH_RETRY_MS);
  }

  /**
   * Sets the room's alarm for the next expiry of an unattached upload, or
   * for `retryAt` when that is earlier, unless an earlier alarm is set.
   */
  async scheduleAlarm(retryAt = Number.POSITIVE_INFINITY): Promise<void> {
    const oldest = this.media.oldestUnattachedAt();
    const expiry =
      oldest === undefined
        ? Number.POSITIVE_INFINITY
        : oldest + MEDIA_UNATTACHED_TTL_MS;
    const next = Math.min(expiry, retryAt);
    if (next === Number.POSITIVE_INFINITY) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  /**
   * Deletes expired uploads and retries failed deletes when the room's
   * alarm fires, then sets the alarm for what is left.
   */
  async onAlarm(): Promise<void> {
    this.trashExpired(Date.now());
    await this.purgeTrash();
    const retry =
      this.media.trashed().length > 0
        ? Date.now() + TRASH_RETRY_MS
        : Number.POSITIVE_INFINITY;
    await this.scheduleAlarm(retry);
  }

  /**
   * Aborts a multipart upload that may still be open. A failed abort is
   * logged, and the caller deletes the object all the same, which also
   * covers an upload R2 completed before its row was marked complete.
   */
  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.env.MEDIA.resumeMultipartUpload(key, uploadId).abort();
    } catch (error) {
      log("media.abort_failed", {
        chatId: this.chatId(),
        key,
        error: errorMessage(error),
      });
    }
  }

  private chatId(): string {
    return this.store.chat()?.chat_id ?? "";
  }
}
