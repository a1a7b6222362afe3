import { z } from "zod";
import { deviceId, timestamp } from "./ids.ts";
import { keyPackage } from "./mls.ts";

/**
 * Link and sync: a newly linked device gets the person's earlier messages
 * from one of their other devices, encrypted to the new device. The server
 * stores only ciphertext.
 *
 * 1. When a device signs in while its person has other devices, its
 *    UserHub records it as `waiting` and sends `history.request` to the
 *    person's other live devices, now and whenever one of them connects
 *    while the device still waits.
 * 2. A device that takes the request claims one KeyPackage of the new
 *    device (POST /api/keys/own/claim), checks that its credential names
 *    the new device of the same person, and builds an archive of its
 *    local history, encrypted with a fresh AES-256-GCM key. It uploads
 *    the archive (PUT /api/devices/:deviceId/history/archive, raw bytes),
 *    then posts the envelope (POST /api/devices/:deviceId/history), which
 *    carries that key sealed to the KeyPackage's HPKE init key. The first
 *    complete envelope wins; later ones get 409 `conflict`.
 * 3. The new device gets `history.ready` (or finds it with GET
 *    /api/history after connecting), opens the envelope with the private
 *    init key of that KeyPackage, downloads GET /api/history/archive,
 *    checks the hash, imports the messages, and calls DELETE /api/history,
 *    which deletes the archive and marks the transfer `done`.
 *
 * The new device may also skip (DELETE /api/history while `waiting`), and
 * a device whose person had no other device starts as `none`. A transfer
 * still `waiting` after HISTORY_WAIT_MS becomes `unavailable`, and an
 * envelope not fetched within HISTORY_KEEP_MS is deleted with its archive.
 */

/** Largest archive accepted, in bytes of ciphertext. */
export const MAX_HISTORY_ARCHIVE_BYTES = 64 * 1024 * 1024;

/** Time a new device waits for another device to send its history. */
export const HISTORY_WAIT_MS = 7 * 24 * 60 * 60 * 1000;

/** Time an uploaded archive is kept for the new device to fetch. */
export const HISTORY_KEEP_MS = 7 * 24 * 60 * 60 * 1000;

/** Messages per chat an archive carries at most, the newest ones. */
export const MAX_HISTORY_MESSAGES_PER_CHAT = 5000;

/** Signature label of a history envelope (RFC 9420 SignWithLabel). */
export const HISTORY_SIGNATURE_LABEL = "messenger history envelope v1";

/** HPKE label of the sealed archive key (RFC 9420 EncryptWithLabel). */
export const HISTORY_KEY_LABEL = "messenger history key v1";

const base64url = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]*$/, "must be base64url");

/** POST /api/keys/own/claim: a KeyPackage of another device of one's own. */
export const OwnClaimBody = z.object({ deviceId });
export type OwnClaimBody = z.infer<typeof OwnClaimBody>;

export const OwnClaimReply = z.object({ keyPackage });
export type OwnClaimReply = z.infer<typeof OwnClaimReply>;

/**
 * The envelope of an uploaded archive. `keyPackageRef` names the new
 * device's KeyPackage whose init key `enc` and `sealed` were made for
 * (HPKE EncryptWithLabel with HISTORY_KEY_LABEL and the new device's id as
 * context); `sealed` opens to the 32-byte archive key. `sha256` is the
 * hash of the archive ciphertext, base64url.
 */
export const HistoryEnvelope = z.object({
  keyPackageRef: base64url(128).min(1, "must not be empty"),
  enc: base64url(256).min(1, "must not be empty"),
  sealed: base64url(256).min(1, "must not be empty"),
  sha256: base64url(43).length(43, "must be 32 bytes in base64url"),
  archiveBytes: z
    .number()
    .int()
    .positive()
    .max(MAX_HISTORY_ARCHIVE_BYTES, "is over the archive size limit"),
  /**
   * The sending device's MLS signature (SignWithLabel with
   * HISTORY_SIGNATURE_LABEL) over the other fields and both device ids,
   * so the new device accepts only an archive from a device of its group.
   */
  signature: base64url(256).min(1, "must not be empty"),
});
export type HistoryEnvelope = z.infer<typeof HistoryEnvelope>;

/**
 * GET /api/history: the state of the calling device's history transfer.
 * - `none`: nothing to copy, because no other device existed at sign-in.
 * - `waiting`: no other device has sent it yet.
 * - `ready`: `envelope` and the archive wait for this device.
 * - `done`: imported (or skipped: `skipped` true).
 * - `unavailable`: no other device sent it within HISTORY_WAIT_MS.
 */
export const HistoryStatus = z.object({
  state: z.enum(["none", "waiting", "ready", "done", "unavailable"]),
  /** The device that sent the archive, when there is one. */
  fromDeviceId: deviceId.nullable(),
  fromDeviceName: z.string().nullable(),
  envelope: HistoryEnvelope.nullable(),
  skipped: z.boolean(),
  updatedAt: timestamp,
});
export type HistoryStatus = z.infer<typeof HistoryStatus>;

/** Server frame to other devices: a new device waits for its history. */
export const HistoryRequestFrame = z.object({
  type: z.literal("history.request"),
  deviceId,
  deviceName: z.string(),
});

/** Server frame to the new device: its history archive is ready. */
export const HistoryReadyFrame = z.object({
  type: z.literal("history.ready"),
});
