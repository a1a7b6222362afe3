import {
  HistoryStatus,
  MAX_HISTORY_ARCHIVE_BYTES,
  OwnClaimReply,
  type HistoryEnvelope,
} from "../../../protocol/history.ts";
import { toBase64url } from "../crypto/encoding.ts";
import { loadIdentity } from "../crypto/identity.ts";
import { MlsStore } from "../crypto/store.ts";
import { failureOf } from "../data/api.ts";
import {
  readHistoryBanner,
  writeHistoryBanner,
} from "../data/history-state.ts";
import { log } from "../data/log.ts";
import { ApiFailure } from "../data/types.ts";
import {
  ArchiveError,
  buildArchive,
  checkArchive,
  openArchive,
  sealArchive,
  sha256,
} from "./history-archive.ts";
import { importArchive } from "./history-import.ts";
import {
  openKey,
  sealKey,
  signEnvelope,
  verifyEnvelope,
} from "./history-key.ts";
import type { EngineOptions } from "./types.ts";

/** Uploads tried per `history.request`, the first included. */
const UPLOAD_ATTEMPTS = 5;
/** Wait before an upload is tried again. */
const UPLOAD_RETRY_MS = 10_000;
/** Max repeats of an import that found rows the sync had not reached. */
const IMPORT_ATTEMPTS = 12;
/** Wait before such an import runs again. */
const IMPORT_RETRY_MS = 5_000;

/**
 * Both sides of link and sync (protocol/history.ts): sending this device's
 * history to a new device of the same person, and importing the history
 * another device sent to this one.
 */
export class HistoryTransfers {
  /** Uploads in flight, by the id of the device they are for. */
  private readonly uploads = new Map<string, Promise<void>>();
  /** Devices whose transfer another device won or this one finished. */
  private readonly finished = new Set<string>();
  private receiving: Promise<void> | null = null;
  /** Imports run again because some rows were above their chat's cursor. */
  private importAttempts = 0;

  constructor(private readonly options: EngineOptions) {}

  /**
   * Sends the history to `deviceId`, once at a time per device. A failed
   * upload is tried again after UPLOAD_RETRY_MS, up to UPLOAD_ATTEMPTS
   * times, because the new device may not have published a KeyPackage yet
   * when the request comes.
   */
  send(deviceId: string, attempt = 1): Promise<void> {
    if (this.finished.has(deviceId) || deviceId === this.options.deviceId) {
      return Promise.resolve();
    }
    let upload = this.uploads.get(deviceId);
    if (upload === undefined) {
      upload = this.upload(deviceId)
        .catch((error: unknown) => this.uploadFailed(deviceId, error, attempt))
        .finally(() => this.uploads.delete(deviceId));
      this.uploads.set(deviceId, upload);
    }
    return upload;
  }

  private uploadFailed(deviceId: string, error: unknown, attempt: number) {
    if (error instanceof ApiFailure && error.code === "conflict") {
      // Another device sent it first, or the new device skipped.
      this.finished.add(deviceId);
      log("history_upload_conflict", { deviceId });
      return;
    }
    log("history_upload_failed", { deviceId, attempt, error: String(error) });
    if (attempt >= UPLOAD_ATTEMPTS) return;
    setTimeout(() => void this.send(deviceId, attempt + 1), UPLOAD_RETRY_MS);
  }

  private async upload(deviceId: string): Promise<void> {
    const { http, db, userId } = this.options;
    log("history_upload_started", { deviceId });
    const { keyPackage } = await http(
      "POST",
      "/keys/own/claim",
      OwnClaimReply,
      {
        deviceId,
      },
    );
    const archive = await buildArchive(db, this.options.deviceId);
    const { ciphertext, key } = await sealArchive(archive);
    if (ciphertext.length > MAX_HISTORY_ARCHIVE_BYTES) {
      // NOTE: the history is not sent at all then. Sending the newest
      // messages that fit would need the archive built again, smaller.
      this.finished.add(deviceId);
      log("history_archive_too_large", { deviceId, bytes: ciphertext.length });
      return;
    }
    const sealed = await sealKey(keyPackage, userId, deviceId, key);
    const identity = await loadIdentity(new MlsStore(db));
    const envelope: HistoryEnvelope = await signEnvelope(
      {
        ...sealed,
        sha256: toBase64url(await sha256(ciphertext)),
        archiveBytes: ciphertext.length,
      },
      identity.signaturePrivateKey,
      this.options.deviceId,
      deviceId,
    );
    const path = `/devices/${encodeURIComponent(deviceId)}/history`;
    const blob = new Blob([ciphertext], { type: "application/octet-stream" });
    await http("PUT", `${path}/archive`, null, blob);
    await http("POST", path, null, envelope);
    this.finished.add(deviceId);
    log("history_upload_done", {
      deviceId,
      chats: archive.chats.length,
      bytes: ciphertext.length,
    });
  }

  /**
   * Checks this device's own transfer with the server, stores its state
   * for the banner, and imports the archive when it is ready. One check at a time.
   */
  receive(): Promise<void> {
    this.receiving ??= this.check()
      .catch((error: unknown) => {
        log("history_check_failed", { error: String(error) });
      })
      .finally(() => {
        this.receiving = null;
      });
    return this.receiving;
  }

  private async check(): Promise<void> {
    const banner = await readHistoryBanner();
    // Nothing changes after these, so no request is needed.
    if (banner?.phase === "none" || banner?.phase === "copied") return;
    if (banner?.phase === "unavailable") return;
    const status = await this.options.http("GET", "/history", HistoryStatus);
    switch (status.state) {
      case "none":
        await writeHistoryBanner({ phase: "none" });
        return;
      case "waiting":
        if (banner?.phase !== "waiting") {
          await writeHistoryBanner({ phase: "waiting" });
        }
        return;
      case "ready":
        await this.importReady(status);
        return;
      case "done":
        // Done on another tab of this device, or skipped.
        await writeHistoryBanner({
          phase: status.skipped ? "unavailable" : "none",
        });
        return;
      case "unavailable":
        await writeHistoryBanner({ phase: "unavailable" });
        return;
      default: {
        const unknown: never = status.state;
        return unknown;
      }
    }
  }

  private async importReady(status: HistoryStatus): Promise<void> {
    const fromDeviceName = status.fromDeviceName;
    await writeHistoryBanner({ phase: "copying", progress: 0, fromDeviceName });
    try {
      const imported = await this.download(status, (progress) =>
        writeHistoryBanner({ phase: "copying", progress, fromDeviceName }),
      );
      if (imported.later > 0 && this.importAttempts < IMPORT_ATTEMPTS) {
        // The sync has not reached these rows yet, so the import runs
        // again once it has. Rows imported now are kept.
        this.importAttempts += 1;
        setTimeout(() => void this.receive(), IMPORT_RETRY_MS);
        return;
      }
      await this.options.http("DELETE", "/history", HistoryStatus);
      if (imported.kind === "stock") {
        await this.options.db.mlsKeyPackages.delete(imported.ref);
      }
      await writeHistoryBanner({ phase: "copied", fromDeviceName });
    } catch (error) {
      const reason =
        error instanceof ArchiveError || error instanceof ApiFailure
          ? error.message
          : String(error);
      log("history_import_failed", { error: reason });
      await writeHistoryBanner({ phase: "failed", reason, fromDeviceName });
    }
  }

  /** Downloads, checks, decrypts and imports the archive of `status`. */
  private async download(
    status: HistoryStatus,
    onProgress: (progress: number) => Promise<void>,
  ): Promise<{ kind: "stock" | "last_resort"; ref: string; later: number }> {
    const { db, deviceId } = this.options;
    const envelope = status.envelope;
    if (envelope === null) throw new ArchiveError("the envelope is missing");
    const row = await db.mlsKeyPackages.get(envelope.keyPackageRef);
    if (row === undefined) {
      throw new ArchiveError(
        "the key it was encrypted for is no longer on this device",
      );
    }
    if (status.fromDeviceId === null) {
      throw new ArchiveError("the server did not name the sending device");
    }
    // A server could seal an archive of its own to the public init key,
    // so only one signed by a device of this person's groups is opened.
    await verifyEnvelope(
      db,
      envelope,
      this.options.userId,
      status.fromDeviceId,
      deviceId,
    );
    const key = await openKey(envelope, row, deviceId);
    const ciphertext = await fetchArchive();
    await checkArchive(ciphertext, envelope);
    const archive = await openArchive(ciphertext, key);
    if (archive.fromDeviceId !== status.fromDeviceId) {
      throw new ArchiveError("the archive names another sending device");
    }
    let pending = Promise.resolve();
    const result = await importArchive(db, archive, (done, total) => {
      pending = pending.then(() => onProgress(done / total));
    });
    await pending;
    log("history_imported", { ...result, fromDeviceId: archive.fromDeviceId });
    return { kind: row.kind, ref: row.ref, later: result.later };
  }
}

/** Downloads this device's archive as bytes. */
async function fetchArchive(): Promise<Uint8Array<ArrayBuffer>> {
  let response: Response;
  try {
    response = await fetch("/api/history/archive", {
      credentials: "same-origin",
    });
  } catch {
    throw new ApiFailure(
      "internal",
      "Cannot reach the server. Check your connection and try again.",
      0,
    );
  }
  if (!response.ok) throw await failureOf(response);
  return new Uint8Array(await response.arrayBuffer());
}
