import { z } from "zod";
import { chatId, deviceId, seq, userId } from "./ids.ts";

/**
 * End-to-end encryption with Messaging Layer Security (RFC 9420). Every
 * chat is one MLS group whose id is the chat id, and every device of every
 * member is one MLS member. The server is the delivery service: it hands
 * out each device's KeyPackages once, orders commits by epoch, keeps
 * Welcome messages for devices that are offline and stores application
 * messages as opaque bodies. It never receives a key.
 *
 * Binary MLS values (KeyPackage, Commit, Welcome, ratchet tree) travel as
 * base64url strings without padding, each the TLS encoding of an
 * `MLSMessage` or, for the ratchet tree, of the tree extension's body.
 */

/** "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", the only suite used. */
export const MLS_CIPHER_SUITE = 1;

/**
 * Prefix of a message body that contains an MLS application message. The rest
 * is base64url. A body without it is the plain JSON of the client codec,
 * which only clients from before encryption sent.
 */
export const ENCRYPTED_BODY_PREFIX = "mls1:";

/** KeyPackages a device keeps published with its UserHub. */
export const KEY_PACKAGE_STOCK = 100;
/** Below this many unclaimed KeyPackages the hub requests more from the device. */
export const KEY_PACKAGE_LOW_WATER = 20;
/** Most KeyPackages one publish call may carry. */
export const MAX_KEY_PACKAGES_PER_PUBLISH = KEY_PACKAGE_STOCK;
/** Most characters of one base64url handshake value (commit, welcome…). */
export const MAX_HANDSHAKE_CHARS = 1024 * 1024;
/** Most characters of one base64url KeyPackage. */
export const MAX_KEY_PACKAGE_CHARS = 16 * 1024;
/** Most devices one commit may add or remove. */
export const MAX_GROUP_CHANGE_DEVICES = 256;
/**
 * Minimum time between two `request-add` calls of one device for one chat;
 * a faster one gets `rate_limited`.
 */
export const REQUEST_ADD_INTERVAL_MS = 30_000;

const base64url = (max: number) =>
  z
    .string()
    .min(1, "must not be empty")
    .max(max, `must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]+$/, "must be base64url without padding");

export const keyPackage = base64url(MAX_KEY_PACKAGE_CHARS);
export const handshake = base64url(MAX_HANDSHAKE_CHARS);

/** An MLS epoch number. 0 means the group does not exist yet. */
export const epoch = z.number().int().nonnegative();

/**
 * POST /api/keys: the device adds KeyPackages to its stock. `lastResort`,
 * when given, replaces the device's last-resort KeyPackage, which claims
 * hand out (without using it up) once the stock is empty. `replace`
 * deletes the stock and last resort first, for a device that lost the
 * private keys of the KeyPackages it published before.
 */
export const PublishKeysBody = z
  .object({
    keyPackages: z
      .array(keyPackage)
      .max(
        MAX_KEY_PACKAGES_PER_PUBLISH,
        `must hold at most ${MAX_KEY_PACKAGES_PER_PUBLISH} KeyPackages`,
      ),
    lastResort: keyPackage.optional(),
    replace: z.boolean().optional(),
  })
  .refine((b) => b.keyPackages.length > 0 || b.lastResort !== undefined, {
    message: "must hold at least one KeyPackage",
    path: ["keyPackages"],
  });
export type PublishKeysBody = z.infer<typeof PublishKeysBody>;

/** Reply to POST and GET /api/keys: this device's stock. */
export const KeysStatus = z.object({
  stock: z.number().int().nonnegative(),
  lastResort: z.boolean(),
});
export type KeysStatus = z.infer<typeof KeysStatus>;

/** One device as a member of a chat's MLS group. */
export const GroupDevice = z.object({ userId, deviceId });
export type GroupDevice = z.infer<typeof GroupDevice>;

/** A Welcome the room keeps for a device added while it was away. */
export const PendingWelcome = z.object({
  /** Epoch the Welcome starts the device at. */
  epoch,
  welcome: handshake,
  ratchetTree: handshake,
});
export type PendingWelcome = z.infer<typeof PendingWelcome>;

/**
 * GET /api/chats/:id/mls: the group as the room stores it, for the calling
 * device. `missing` are active devices of members that are not in the
 * group yet, which a member adds with a commit. `stale` are devices in the
 * group that should leave it: a revoked device, a device of a removed
 * member, or a device that requested a re-add after losing its state.
 */
export const GroupStatus = z.object({
  epoch,
  /** Sequence number of the last commit in the chat log, 0 if none. */
  commitSeq: seq,
  devices: z.array(GroupDevice),
  missing: z.array(GroupDevice),
  stale: z.array(GroupDevice),
  /** The asking device is in the group at `epoch`. */
  inGroup: z.boolean(),
  welcome: PendingWelcome.nullable(),
});
export type GroupStatus = z.infer<typeof GroupStatus>;

/** POST /api/chats/:id/mls/claim: one KeyPackage for each device named. */
export const ClaimBody = z.object({
  devices: z
    .array(GroupDevice)
    .min(1, "must name at least one device")
    .max(
      MAX_GROUP_CHANGE_DEVICES,
      `must name at most ${MAX_GROUP_CHANGE_DEVICES} devices`,
    ),
});
export type ClaimBody = z.infer<typeof ClaimBody>;

export const ClaimReply = z.object({
  keyPackages: z.array(GroupDevice.extend({ keyPackage })),
  /** Devices with neither stock nor a last-resort KeyPackage. */
  unavailable: z.array(GroupDevice),
});
export type ClaimReply = z.infer<typeof ClaimReply>;

/**
 * POST /api/chats/:id/mls/commit: a commit made at `epoch`. Creating the
 * group is a commit at epoch 0 that adds the other devices; the committing
 * device is in the group after it. `welcome` and `ratchetTree` come with
 * every commit that adds devices.
 */
export const CommitBody = z
  .object({
    epoch,
    commit: handshake,
    welcome: handshake.optional(),
    ratchetTree: handshake.optional(),
    added: z.array(GroupDevice).max(MAX_GROUP_CHANGE_DEVICES),
    removed: z.array(GroupDevice).max(MAX_GROUP_CHANGE_DEVICES),
  })
  .refine(
    (b) =>
      b.added.length === 0 ||
      (b.welcome !== undefined && b.ratchetTree !== undefined),
    { message: "is required when devices are added", path: ["welcome"] },
  );
export type CommitBody = z.infer<typeof CommitBody>;

/** Reply to a commit: the new epoch and the commit's place in the log. */
export const CommitReply = z.object({ epoch, seq });
export type CommitReply = z.infer<typeof CommitReply>;

/**
 * Body of a chat log message of kind `commit`, as JSON. Members apply
 * commits in sequence order; a device that is not in the group skips them.
 */
export const CommitEvent = z.object({
  /** Epoch the commit was made at; members move to `epoch + 1`. */
  epoch,
  commit: handshake,
  committer: GroupDevice,
  added: z.array(GroupDevice),
  removed: z.array(GroupDevice),
});
export type CommitEvent = z.infer<typeof CommitEvent>;

/**
 * POST /api/chats/:id/mls/request-add: the calling device is not in the
 * group (new, or its group state was lost or broken) and requests that
 * members add it. With `reset`, a device the room counts as in the group is marked
 * stale, so the next commit removes and adds it again.
 */
export const RequestAddBody = z.object({ reset: z.boolean() });
export type RequestAddBody = z.infer<typeof RequestAddBody>;

/** Server frame: devices wait to join the chat's group, or a Welcome waits. */
export const MlsPendingFrame = z.object({
  type: z.literal("mls.pending"),
  chatId,
});

/** Server frame: this device's KeyPackage stock fell below the low water. */
export const KeysLowFrame = z.object({
  type: z.literal("keys.low"),
  stock: z.number().int().nonnegative(),
});
