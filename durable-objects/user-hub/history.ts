import {
  HISTORY_KEEP_MS,
  HISTORY_WAIT_MS,
  type HistoryEnvelope,
  type HistoryStatus,
  type ServerFrame,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import { fail, ok, type Result } from "../../worker/result.ts";
import { HistoryArchives } from "./history-archives.ts";
import {
  toStatus,
  type HistoryStore,
  type TransferRow,
} from "./history-store.ts";
import type { HubStore } from "./store.ts";

type HistoryRequestFrame = Extract<ServerFrame, { type: "history.request" }>;

/**
 * Link and sync on the server (protocol/history.ts): the history transfer
 * of each of one person's devices and the archives in R2 under
 * `history/<userId>/<targetDeviceId>/<uploaderDeviceId>`. Each state
 * change is one UPDATE conditional on the previous state, so requests
 * that interleave at an R2 call still change a transfer once.
 */
export class HistoryTransfers {
  private readonly archives: HistoryArchives;

  constructor(
    private readonly store: HubStore,
    private readonly transfers: HistoryStore,
    bucket: R2Bucket,
    /** Sends a frame to the open sockets of one device. */
    private readonly sendToDevice: (
      deviceId: string,
      frame: ServerFrame,
    ) => void,
  ) {
    this.archives = new HistoryArchives(bucket, () => this.userId());
  }

  /**
   * Records the transfer of a device that just signed in: `waiting` when
   * the person has other devices, which each get `history.request`, else
   * `none`.
   */
  begin(deviceId: string, deviceName: string, now: number): void {
    const others = this.store
      .devices()
      .filter((device) => device.id !== deviceId);
    this.transfers.insert(
      deviceId,
      others.length > 0 ? "waiting" : "none",
      now,
    );
    log("history.began", {
      userId: this.userId(),
      deviceId,
      otherDevices: others.length,
    });
    const frame: HistoryRequestFrame = {
      type: "history.request",
      deviceId,
      deviceName,
    };
    for (const other of others) this.sendToDevice(other.id, frame);
  }

  /**
   * Returns the `history.request` frames that a socket of `deviceId` gets
   * when it connects: one for each other device still waiting.
   */
  async requestsFor(
    deviceId: string,
    now: number,
  ): Promise<HistoryRequestFrame[]> {
    const frames: HistoryRequestFrame[] = [];
    for (const waiting of this.transfers.waiting()) {
      if (waiting.device_id === deviceId) continue;
      const row = await this.current(waiting.device_id, now);
      const target = this.store.device(waiting.device_id);
      if (row?.state !== "waiting" || target === undefined) continue;
      frames.push({
        type: "history.request",
        deviceId: target.id,
        deviceName: target.name,
      });
    }
    return frames;
  }

  /** Returns the transfer of `deviceId`, after expiring it if it is due. */
  async status(deviceId: string, now: number): Promise<HistoryStatus> {
    const row = await this.current(deviceId, now);
    if (row !== undefined) return toStatus(row);
    // Devices that signed in before transfers existed have no row.
    const createdAt = this.store.device(deviceId)?.created_at ?? now;
    return {
      state: "none",
      fromDeviceId: null,
      fromDeviceName: null,
      envelope: null,
      skipped: false,
      updatedAt: createdAt,
    };
  }

  /**
   * Returns the R2 key that `uploaderId` may write the archive for
   * `targetId` to: `not_found` unless the target is another device of
   * this person, `conflict` unless it is waiting.
   */
  async uploadKey(
    uploaderId: string,
    targetId: string,
    now: number,
  ): Promise<Result<string>> {
    const waiting = await this.requireWaiting(uploaderId, targetId, now);
    if (!waiting.ok) return waiting;
    return ok(this.archives.key(targetId, uploaderId));
  }

  /**
   * Accepts the envelope of the archive `uploaderId` uploaded for
   * `targetId`: the archive must exist with exactly `archiveBytes` bytes,
   * and the first envelope moves the target to `ready` and sends it
   * `history.ready`. A rejected envelope deletes this uploader's archive,
   * and the accepted one deletes those of the other uploaders. The same
   * envelope again from the same uploader (a retry after a lost reply)
   * returns the transfer unchanged.
   */
  async attach(
    uploaderId: string,
    targetId: string,
    envelope: HistoryEnvelope,
    now: number,
  ): Promise<Result<HistoryStatus>> {
    const row = this.transfers.get(targetId);
    if (
      row?.state === "ready" &&
      row.from_device_id === uploaderId &&
      row.envelope === JSON.stringify(envelope)
    ) {
      return ok(toStatus(row));
    }
    const key = this.archives.key(targetId, uploaderId);
    const accepted = await this.accept(uploaderId, targetId, envelope, now);
    if (!accepted.ok) {
      await this.discard(uploaderId, targetId);
      return accepted;
    }
    log("history.ready", {
      userId: this.userId(),
      deviceId: targetId,
      fromDeviceId: uploaderId,
      archiveBytes: envelope.archiveBytes,
    });
    this.sendToDevice(targetId, { type: "history.ready" });
    await this.archives.deleteFor(targetId, key);
    return ok(accepted.value);
  }

  /**
   * Deletes the archive `uploaderId` uploaded for `targetId`, unless it is
   * the one an accepted envelope names.
   */
  async discard(uploaderId: string, targetId: string): Promise<void> {
    const row = this.transfers.get(targetId);
    if (row?.state === "ready" && row.from_device_id === uploaderId) return;
    await this.archives.delete([this.archives.key(targetId, uploaderId)]);
  }

  /**
   * Returns the R2 key of the archive waiting for `deviceId`, or
   * `not_found` unless its transfer is `ready`.
   */
  async archiveKey(deviceId: string, now: number): Promise<Result<string>> {
    const row = await this.current(deviceId, now);
    if (row?.state !== "ready" || row.from_device_id === null) {
      return fail(
        "not_found",
        "No chat history archive is waiting for this device. Check " +
          "GET /api/history for the state of the transfer.",
      );
    }
    return ok(this.archives.key(deviceId, row.from_device_id));
  }

  /**
   * Ends the transfer of `deviceId`: `ready` becomes `done` and the
   * archive is deleted, `waiting` becomes `done` with `skipped`, and other
   * states stay as they are.
   */
  async finish(deviceId: string, now: number): Promise<HistoryStatus> {
    const row = await this.current(deviceId, now);
    if (
      row?.state === "ready" &&
      this.transfers.move(deviceId, "ready", "done", now)
    ) {
      log("history.done", { userId: this.userId(), deviceId });
      await this.archives.deleteFor(deviceId);
    } else if (
      row?.state === "waiting" &&
      this.transfers.move(deviceId, "waiting", "done", now, true)
    ) {
      log("history.skipped", { userId: this.userId(), deviceId });
      await this.archives.deleteFor(deviceId);
    }
    return this.status(deviceId, now);
  }

  /**
   * Deletes the transfer of a revoked device with every archive uploaded
   * for it, and the archives it uploaded that no envelope names.
   */
  async deleteDevice(deviceId: string): Promise<void> {
    this.transfers.delete(deviceId);
    const archives = await this.archives.list();
    const keys = archives
      .filter(({ targetId, uploaderId }) => {
        if (targetId === deviceId) return true;
        if (uploaderId !== deviceId) return false;
        // The archive of a `ready` transfer stays for its target to fetch.
        const target = this.transfers.get(targetId);
        return !(
          target?.state === "ready" && target.from_device_id === deviceId
        );
      })
      .map((archive) => archive.key);
    await this.archives.delete(keys);
  }

  /**
   * Returns the row of `deviceId` after lazy expiry: `waiting` older than
   * HISTORY_WAIT_MS and `ready` older than HISTORY_KEEP_MS become
   * `unavailable`, and their archives are deleted.
   */
  private async current(
    deviceId: string,
    now: number,
  ): Promise<TransferRow | undefined> {
    const row = this.transfers.get(deviceId);
    if (row === undefined) return undefined;
    const limit =
      row.state === "waiting"
        ? HISTORY_WAIT_MS
        : row.state === "ready"
          ? HISTORY_KEEP_MS
          : undefined;
    if (limit === undefined || now - row.updated_at <= limit) return row;
    if (this.transfers.move(deviceId, row.state, "unavailable", now)) {
      log("history.expired", {
        userId: this.userId(),
        deviceId,
        from: row.state,
      });
      await this.archives.deleteFor(deviceId);
    }
    return this.transfers.get(deviceId);
  }

  private async requireWaiting(
    uploaderId: string,
    targetId: string,
    now: number,
  ): Promise<Result<TransferRow>> {
    const target = this.store.device(targetId);
    if (targetId === uploaderId || target === undefined) {
      return fail(
        "not_found",
        `Device ${targetId} is not another device of your account. Send ` +
          "history only to a device that GET /api/devices lists.",
        "deviceId",
      );
    }
    const row = await this.current(targetId, now);
    if (row?.state !== "waiting") {
      return fail(
        "conflict",
        `Device ${targetId} is not waiting for chat history (state ` +
          `${row?.state ?? "none"}). Nothing more to send.`,
        "deviceId",
      );
    }
    return ok(row);
  }

  /** Checks the uploaded archive against the envelope, then marks ready. */
  private async accept(
    uploaderId: string,
    targetId: string,
    envelope: HistoryEnvelope,
    now: number,
  ): Promise<Result<HistoryStatus>> {
    const waiting = await this.requireWaiting(uploaderId, targetId, now);
    if (!waiting.ok) return waiting;
    const storedBytes = await this.archives.size(targetId, uploaderId);
    if (storedBytes === null) {
      return fail(
        "invalid_request",
        `No archive was uploaded for device ${targetId}. PUT it to ` +
          `/api/devices/${targetId}/history/archive before the envelope.`,
        "archiveBytes",
      );
    }
    if (storedBytes !== envelope.archiveBytes) {
      return fail(
        "invalid_request",
        `archiveBytes: the envelope names ${envelope.archiveBytes} bytes ` +
          `but the uploaded archive has ${storedBytes}. Upload the archive ` +
          "again, then send its envelope.",
        "archiveBytes",
      );
    }
    const from = this.store.device(uploaderId);
    const marked = this.transfers.markReady(
      targetId,
      { id: uploaderId, name: from?.name ?? null },
      envelope,
      now,
    );
    const row = this.transfers.get(targetId);
    if (!marked || row === undefined) {
      return fail(
        "conflict",
        `Device ${targetId} already got its chat history from another ` +
          "device. Nothing more to send.",
        "deviceId",
      );
    }
    return ok(toStatus(row));
  }

  private userId(): string {
    return this.store.me()?.id ?? "";
  }
}
