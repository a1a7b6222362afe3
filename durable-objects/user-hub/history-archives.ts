import { errorMessage, log } from "../../worker/log.ts";

/** Returns the R2 folder of the archives uploaded for one target device. */
export function historyPrefix(userId: string, targetId: string): string {
  return `history/${userId}/${targetId}/`;
}

/** Returns the R2 key of the archive `uploaderId` uploads for `targetId`. */
export function historyArchiveKey(
  userId: string,
  targetId: string,
  uploaderId: string,
): string {
  return `${historyPrefix(userId, targetId)}${uploaderId}`;
}

/** One stored archive, named by the devices in its key. */
export interface StoredArchive {
  key: string;
  targetId: string;
  uploaderId: string;
}

/**
 * The encrypted history archives of one person in R2, under
 * `history/<userId>/<targetDeviceId>/<uploaderDeviceId>`, at most one per
 * ordered pair of the person's devices.
 * NOTE: listing reads one page of up to 1000 keys, which covers every
 * pair of up to 31 devices; with more, some archives are not listed.
 */
export class HistoryArchives {
  constructor(
    private readonly bucket: R2Bucket,
    /** Returns the id of the person, read at each call. */
    private readonly userId: () => string,
  ) {}

  key(targetId: string, uploaderId: string): string {
    return historyArchiveKey(this.userId(), targetId, uploaderId);
  }

  /** Returns the size of an uploaded archive in bytes, or null for none. */
  async size(targetId: string, uploaderId: string): Promise<number | null> {
    const object = await this.bucket.head(this.key(targetId, uploaderId));
    return object?.size ?? null;
  }

  /** Lists every archive of the person. */
  async list(): Promise<StoredArchive[]> {
    const listed = await this.bucket.list({
      prefix: `history/${this.userId()}/`,
    });
    const archives: StoredArchive[] = [];
    for (const { key } of listed.objects) {
      const [, , targetId, uploaderId] = key.split("/");
      if (targetId === undefined || uploaderId === undefined) continue;
      archives.push({ key, targetId, uploaderId });
    }
    return archives;
  }

  /** Deletes the archives uploaded for `targetId`, except the key `keep`. */
  async deleteFor(targetId: string, keep?: string): Promise<void> {
    const prefix = historyPrefix(this.userId(), targetId);
    const listed = await this.bucket.list({ prefix });
    const keys = listed.objects
      .map((object) => object.key)
      .filter((key) => key !== keep);
    await this.delete(keys);
  }

  /** Deletes objects by key, logging a failure instead of raising it. */
  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.bucket.delete(keys);
      log("history.archives_deleted", {
        userId: this.userId(),
        count: keys.length,
      });
    } catch (error) {
      // The transfer already moved on, so a failed delete leaves only
      // storage behind. Revoking the target device deletes its folder.
      // TODO: nothing else retries, so such objects stay until then.
      log("history.archive_delete_failed", {
        userId: this.userId(),
        count: keys.length,
        error: errorMessage(error),
      });
    }
  }
}
