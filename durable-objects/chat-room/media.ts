import {
  ApiError,
  MEDIA_PART_BYTES,
  MEDIA_UNATTACHED_TTL_MS,
  partBytes,
  partCount,
  type UploadState,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import type { MediaCleanup } from "./media-cleanup.ts";
import { requireMember } from "./membership.ts";
import {
  mediaKey,
  type MediaPart,
  type MediaRow,
  type MediaStore,
} from "./media-store.ts";
import type { RoomStore } from "./store.ts";

/** Destination in R2 of one part of an upload. */
export interface PartTarget {
  key: string;
  uploadId: string;
  /** Exact length the part must have. */
  bytes: number;
}

/**
 * The R2 upload and parts to complete, or the state of an upload that is
 * complete already.
 */
export type CompleteTarget =
  | {
      complete: false;
      key: string;
      uploadId: string;
      parts: { partNumber: number; etag: string }[];
    }
  | { complete: true; state: UploadState };

function noUpload(mediaId: string): ApiError {
  return new ApiError(
    "not_found",
    `No upload ${mediaId} of yours in this chat. Start a new upload.`,
  );
}

function noFile(mediaId: string): ApiError {
  return new ApiError("not_found", `No file ${mediaId} in this chat.`);
}

/** Returns whether an upload was left unattached past the TTL. */
function isExpired(row: MediaRow, now: number): boolean {
  return (
    row.state !== "attached" && row.created_at + MEDIA_UNATTACHED_TTL_MS <= now
  );
}

function toUploadState(row: MediaRow, parts: MediaPart[]): UploadState {
  const count = partCount(row.size);
  const done =
    row.state === "uploading"
      ? parts.map((part) => part.part)
      : Array.from({ length: count }, (_, index) => index + 1);
  return {
    mediaId: row.media_id,
    size: row.size,
    partBytes: MEDIA_PART_BYTES,
    parts: count,
    done,
    complete: row.state !== "uploading",
  };
}

/**
 * The chat's media uploads: who may write, complete, attach and read
 * them. Every check reads the room's current member list, so a removed
 * member loses access at once. Callers that are not members get the same
 * not_found as for an unknown id.
 */
export class RoomMedia {
  constructor(
    private readonly store: RoomStore,
    private readonly media: MediaStore,
    private readonly cleanup: MediaCleanup,
  ) {}

  /** Throws "forbidden" unless `userId` is a member who may upload. */
  requireUploader(userId: string): void {
    requireMember(this.store, userId);
  }

  /** Records a new multipart upload and returns its state. */
  async create(
    uploader: { userId: string; deviceId: string },
    mediaId: string,
    size: number,
    uploadId: string,
  ): Promise<UploadState> {
    requireMember(this.store, uploader.userId);
    const row: MediaRow = {
      media_id: mediaId,
      uploader_id: uploader.userId,
      uploader_device_id: uploader.deviceId,
      size,
      upload_id: uploadId,
      state: "uploading",
      message_id: null,
      created_at: Date.now(),
    };
    this.media.insert(row);
    log("media.upload_created", {
      chatId: this.chatId(),
      userId: uploader.userId,
      deviceId: uploader.deviceId,
      mediaId,
      size,
    });
    await this.cleanup.scheduleAlarm();
    return toUploadState(row, []);
  }

  uploadState(userId: string, mediaId: string): UploadState {
    const row = this.ownUpload(userId, mediaId);
    return toUploadState(row, this.media.parts(mediaId));
  }

  /** Checks that part `part` may be uploaded and returns where it goes. */
  partTarget(userId: string, mediaId: string, part: number): PartTarget {
    const row = this.openUpload(userId, mediaId);
    const parts = partCount(row.size);
    if (!Number.isInteger(part) || part < 1 || part > parts) {
      throw new ApiError(
        "invalid_request",
        `Part ${part} does not exist, because an upload of ${row.size} ` +
          `bytes has parts 1 to ${parts}.`,
        "part",
      );
    }
    return {
      key: mediaKey(this.chatId(), mediaId),
      uploadId: row.upload_id,
      bytes: partBytes(row.size, part),
    };
  }

  /** Records a part that R2 stored, replacing an earlier copy of it. */
  recordPart(userId: string, mediaId: string, part: MediaPart): void {
    this.partTarget(userId, mediaId, part.part);
    this.media.recordPart(mediaId, part);
  }

  /**
   * Lists the parts R2 needs to complete the upload, and raises conflict
   * when any of them has not arrived.
   */
  completeTarget(userId: string, mediaId: string): CompleteTarget {
    const row = this.ownUpload(userId, mediaId);
    const parts = this.media.parts(mediaId);
    if (row.state !== "uploading") {
      return { complete: true, state: toUploadState(row, parts) };
    }
    const arrived = new Set(parts.map((part) => part.part));
    const missing: number[] = [];
    for (let part = 1; part <= partCount(row.size); part++) {
      if (!arrived.has(part)) missing.push(part);
    }
    if (missing.length > 0) {
      throw new ApiError(
        "conflict",
        `Parts ${missing.join(", ")} of upload ${mediaId} have not arrived. ` +
          "Upload them, then complete the upload.",
      );
    }
    return {
      complete: false,
      key: mediaKey(this.chatId(), mediaId),
      uploadId: row.upload_id,
      parts: parts.map((part) => ({ partNumber: part.part, etag: part.etag })),
    };
  }

  /** Marks an upload complete after R2 completed it. */
  markComplete(userId: string, mediaId: string): UploadState {
    const row = this.ownUpload(userId, mediaId);
    if (row.state === "uploading") {
      this.media.markComplete(mediaId);
      log("media.upload_completed", {
        chatId: this.chatId(),
        userId,
        mediaId,
        size: row.size,
      });
    }
    return toUploadState({ ...row, state: "complete" }, []);
  }

  /** Deletes an upload that no message refers to, with its R2 object. */
  async cancel(userId: string, mediaId: string): Promise<void> {
    const row = this.ownUpload(userId, mediaId);
    if (row.state === "attached") {
      throw new ApiError(
        "conflict",
        `File ${mediaId} is attached to message ${row.message_id}. ` +
          "Delete the message for everyone instead.",
      );
    }
    this.media.trash(row, this.chatId(), Date.now());
    log("media.upload_cancelled", { chatId: this.chatId(), userId, mediaId });
    await this.cleanup.purgeTrash();
  }

  /**
   * Returns the R2 key and size of a file `userId` may download. A current
   * member may read an attached file whose message lies in the part of the
   * log they may read (not one sent before they joined), and the uploader
   * may read a complete one that is not attached yet.
   */
  download(userId: string, mediaId: string): { key: string; size: number } {
    if (!this.store.isMember(userId)) throw noFile(mediaId);
    const row = this.media.media(mediaId);
    const readable =
      row !== undefined &&
      !isExpired(row, Date.now()) &&
      ((row.state === "attached" && this.mayReadMessage(userId, row)) ||
        (row.state === "complete" && row.uploader_id === userId));
    if (!readable) throw noFile(mediaId);
    return { key: mediaKey(this.chatId(), mediaId), size: row.size };
  }

  /** Returns whether the message a file is attached to is in `userId`'s range. */
  private mayReadMessage(userId: string, row: MediaRow): boolean {
    const message = this.store.messageById(row.message_id ?? "");
    const range = this.store.readableRange(userId);
    return (
      message !== undefined &&
      range !== undefined &&
      message.seq >= range.fromSeq &&
      message.seq <= range.untilSeq
    );
  }

  /**
   * Throws invalid_request on `message.media` unless every id is a
   * complete upload of `senderId` in this chat that no message lists yet.
   */
  checkAttachable(senderId: string, mediaIds: readonly string[]): void {
    const seen = new Set<string>();
    const now = Date.now();
    for (const mediaId of mediaIds) {
      if (seen.has(mediaId))
        throw attachError(`File ${mediaId} is listed twice.`);
      seen.add(mediaId);
      const row = this.media.media(mediaId);
      if (
        row === undefined ||
        row.uploader_id !== senderId ||
        isExpired(row, now)
      ) {
        throw attachError(
          `File ${mediaId} is not an upload of yours in this chat. ` +
            "Upload it to this chat first.",
        );
      }
      if (row.state === "uploading") {
        throw attachError(
          `File ${mediaId} is still uploading. Complete the upload first.`,
        );
      }
      if (row.state === "attached") {
        throw attachError(
          `File ${mediaId} is already attached to message ${row.message_id}. ` +
            "Upload the file again to send it in another message.",
        );
      }
    }
  }

  /** Attaches uploads that `checkAttachable` accepted to a message. */
  attach(mediaIds: readonly string[], messageId: string): void {
    for (const mediaId of mediaIds) this.media.attach(mediaId, messageId);
  }

  /** Returns an upload of `userId` that has not expired, or throws. */
  private ownUpload(userId: string, mediaId: string): MediaRow {
    if (!this.store.isMember(userId)) throw noUpload(mediaId);
    const row = this.media.media(mediaId);
    if (
      row === undefined ||
      row.uploader_id !== userId ||
      isExpired(row, Date.now())
    ) {
      throw noUpload(mediaId);
    }
    return row;
  }

  /** Returns an upload of `userId` that still takes parts, or throws. */
  private openUpload(userId: string, mediaId: string): MediaRow {
    const row = this.ownUpload(userId, mediaId);
    if (row.state !== "uploading") {
      throw new ApiError(
        "conflict",
        `Upload ${mediaId} is complete and takes no more parts.`,
      );
    }
    return row;
  }

  private chatId(): string {
    return this.store.chat()?.chat_id ?? "";
  }
}

function attachError(message: string): ApiError {
  return new ApiError("invalid_request", message, "message.media");
}
