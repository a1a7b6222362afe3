import {
  ApiError,
  type CommitBody,
  type CommitEvent,
  type GroupDevice,
  type GroupStatus,
  MAX_BODY_BYTES,
  REQUEST_ADD_INTERVAL_MS,
  type StoredMessage,
  utf8Length,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { log } from "../../worker/log.ts";
import { v7 as uuidv7 } from "uuid";
import type { Fanout } from "./fanout.ts";
import { requireMember } from "./membership.ts";
import type { MlsStore } from "./mls-store.ts";
import type { RoomStore } from "./store.ts";

/** Max hub calls in flight while the room collects members' devices. */
export const HUB_CALL_CONCURRENCY = 8;

/** The device making a request, as its session names it. */
export interface Caller {
  userId: string;
  deviceId: string;
}

/** An accepted commit: the new epoch and the stored log message. */
export interface CommitResult {
  epoch: number;
  seq: number;
  stored: StoredMessage;
}

const CATCH_UP =
  "Fetch the group status and the chat's newest messages, apply the commits, then commit again.";

/**
 * The room's side of MLS delivery. It orders commits by epoch and writes
 * each into the message log as a `commit` message, keeps Welcomes for the
 * devices a commit adds, and lists which devices should join or leave the
 * group. It reads no MLS message.
 */
export class MlsDelivery {
  constructor(
    private readonly store: RoomStore,
    private readonly mls: MlsStore,
    private readonly fanout: Fanout,
    private readonly env: Env,
  ) {}

  /** Builds the group status as the calling device should see it. */
  async status(caller: Caller): Promise<GroupStatus> {
    requireMember(this.store, caller.userId);
    const memberIds = this.store.memberIds();
    const active = await this.activeDevices(memberIds);
    const { epoch, commitSeq } = this.mls.group();
    const devices = this.mls.devices();
    const inGroup = new Set(devices.map((device) => device.deviceId));
    const missing = memberIds.flatMap((userId) =>
      [...(active.get(userId) ?? [])]
        .filter((deviceId) => !inGroup.has(deviceId))
        .map((deviceId) => ({ userId, deviceId })),
    );
    const stale = devices
      .filter(
        (device) =>
          device.stale ||
          active.get(device.userId)?.has(device.deviceId) !== true,
      )
      .map(groupDevice);
    return {
      epoch,
      commitSeq,
      devices: devices.map(groupDevice),
      missing,
      stale,
      inGroup: inGroup.has(caller.deviceId),
      welcome: this.mls.pendingWelcome(caller.userId, caller.deviceId),
    };
  }

  /**
   * Accepts a commit made at the group's current epoch and writes it into
   * the log, so members get it live and in history, in order with the other
   * messages. Then moves the group to the next epoch and keeps the Welcome
   * for the added devices. A commit at epoch 0 creates the group with the
   * committing device as its first member.
   */
  async commit(caller: Caller, body: CommitBody): Promise<CommitResult> {
    requireMember(this.store, caller.userId);
    const event: CommitEvent = {
      epoch: body.epoch,
      commit: body.commit,
      committer: { userId: caller.userId, deviceId: caller.deviceId },
      added: body.added,
      removed: body.removed,
    };
    const eventJson = JSON.stringify(event);
    if (utf8Length(eventJson) > MAX_BODY_BYTES) {
      throw new ApiError(
        "too_large",
        `commit: the commit with its device lists must be at most ${MAX_BODY_BYTES} bytes of JSON.`,
        "commit",
      );
    }
    checkDuplicates(body.added, "added");
    checkDuplicates(body.removed, "removed");
    this.checkCommitter(caller, body.epoch);

    // NOTE: a device revoked while these hub calls run can still be added.
    // The next status then lists it as stale, so a member removes it.
    const active =
      body.added.length === 0
        ? new Map<string, Set<string>>()
        : await this.activeDevices(this.store.memberIds());

    // No await from here on: the checks run again on the state as it is
    // now, so of two commits at one epoch only the first is stored.
    requireMember(this.store, caller.userId);
    this.checkCommitter(caller, body.epoch);
    this.checkRemoved(caller, body.removed);
    this.checkAdded(caller, body, active);
    return this.apply(caller, body, eventJson);
  }

  /**
   * Records the calling device's request to be added to the group and sends
   * `mls.pending` to every member's hub, so an online device can add it.
   * With `reset`, a device in the group is marked stale, to be removed and
   * added again. The caller's session proves the device is active.
   */
  requestAdd(caller: Caller, reset: boolean): void {
    requireMember(this.store, caller.userId);
    const device = this.mls.device(caller.userId, caller.deviceId);
    if (device !== undefined && !reset) {
      throw new ApiError(
        "conflict",
        "This device is already in the chat's group. Send reset: true if it lost its group state.",
        "reset",
      );
    }
    const now = Date.now();
    const last = this.mls.requestedAddAt(caller.deviceId);
    if (last !== undefined && now - last < REQUEST_ADD_INTERVAL_MS) {
      const waitMs = REQUEST_ADD_INTERVAL_MS - (now - last);
      throw new ApiError(
        "rate_limited",
        "This device asked to be added a moment ago; wait before asking again.",
        undefined,
        Math.ceil(waitMs / 1000),
      );
    }
    this.mls.recordRequestAdd(caller.deviceId, now);
    if (device !== undefined) this.mls.markStale(caller.deviceId);
    const chatId = this.chatId();
    // The caller's own hub is included: another device of the same person
    // may be the only one online to add it.
    this.fanout.frame(this.store.memberIds(), { type: "mls.pending", chatId });
    log("mls.add_requested", { chatId, ...caller, reset });
  }

  /** Writes a commit that passed the checks in `commit`. */
  private apply(
    caller: Caller,
    body: CommitBody,
    eventJson: string,
  ): CommitResult {
    const stored = this.store.insertMessage({
      id: uuidv7(),
      kind: "commit",
      ref: null,
      senderId: caller.userId,
      senderDeviceId: caller.deviceId,
      body: eventJson,
      ts: Date.now(),
    });
    const epoch = body.epoch + 1;
    const joined = body.epoch === 0 ? [caller, ...body.added] : body.added;
    const welcome =
      body.welcome !== undefined && body.ratchetTree !== undefined
        ? { welcome: body.welcome, ratchetTree: body.ratchetTree }
        : undefined;
    this.mls.applyCommit({
      epoch,
      commitSeq: stored.seq,
      joined: joined.map(groupDevice),
      removed: body.removed,
      welcome:
        welcome === undefined ? undefined : { ...welcome, devices: body.added },
    });
    // A device that commits has joined, so its Welcome is no longer needed.
    this.mls.dropWelcome(caller.deviceId);
    this.fanout.message(stored);
    const addedUsers = [...new Set(body.added.map((device) => device.userId))];
    const chatId = this.chatId();
    this.fanout.frame(addedUsers, { type: "mls.pending", chatId });
    log("mls.committed", {
      chatId,
      ...caller,
      epoch,
      seq: stored.seq,
      added: body.added.length,
      removed: body.removed.length,
    });
    return { epoch, seq: stored.seq, stored };
  }

  /** Checks that the epoch is the group's and the device may commit at it. */
  private checkCommitter(caller: Caller, epoch: number): void {
    const current = this.mls.group().epoch;
    if (epoch !== current) {
      throw new ApiError(
        "stale_epoch",
        `The commit was made at epoch ${epoch} but the group is at epoch ${current}. ${CATCH_UP}`,
        "epoch",
      );
    }
    if (current > 0 && !this.mls.device(caller.userId, caller.deviceId)) {
      throw new ApiError(
        "forbidden",
        "This device is not in the chat's group, so it cannot commit. Ask to be added with POST /api/chats/:chatId/mls/request-add.",
      );
    }
  }

  /** Checks that every removed device is in the group and not the caller. */
  private checkRemoved(caller: Caller, removed: GroupDevice[]): void {
    removed.forEach((device, index) => {
      const field = `removed.${index}`;
      if (device.deviceId === caller.deviceId) {
        throw new ApiError(
          "invalid_request",
          `${field}: a device cannot remove itself from the group.`,
          field,
        );
      }
      if (this.mls.device(device.userId, device.deviceId) === undefined) {
        throw new ApiError(
          "conflict",
          `${field}: device ${device.deviceId} of user ${device.userId} is not in the group. ${CATCH_UP}`,
          field,
        );
      }
    });
  }

  /**
   * Checks that every added device is an active device of a current member
   * and not in the group, unless the same commit removes it first.
   */
  private checkAdded(
    caller: Caller,
    body: CommitBody,
    active: Map<string, Set<string>>,
  ): void {
    const removed = new Set(body.removed.map((device) => device.deviceId));
    body.added.forEach((device, index) => {
      const field = `added.${index}`;
      if (device.deviceId === caller.deviceId) {
        throw new ApiError(
          "invalid_request",
          `${field}: the committing device cannot add itself; a commit at epoch 0 makes it the first member.`,
          field,
        );
      }
      let problem: string | undefined;
      if (!this.store.isMember(device.userId)) {
        problem = `user ${device.userId} is not a member of this chat`;
      } else if (active.get(device.userId)?.has(device.deviceId) !== true) {
        problem = `device ${device.deviceId} is not an active device of user ${device.userId}`;
      } else if (
        !removed.has(device.deviceId) &&
        this.mls.device(device.userId, device.deviceId) !== undefined
      ) {
        problem = `device ${device.deviceId} is already in the group`;
      }
      if (problem !== undefined) {
        throw new ApiError(
          "conflict",
          `${field}: ${problem}. ${CATCH_UP}`,
          field,
        );
      }
    });
  }

  /** Fetches each member's active device ids from their hub, 8 at a time. */
  private async activeDevices(
    userIds: string[],
  ): Promise<Map<string, Set<string>>> {
    const result = new Map<string, Set<string>>();
    const queue = [...userIds];
    const worker = async (): Promise<void> => {
      for (
        let userId = queue.shift();
        userId !== undefined;
        userId = queue.shift()
      ) {
        const ids = await userHub(this.env, userId).activeDeviceIds();
        result.set(userId, new Set(ids));
      }
    };
    const workers = Math.min(HUB_CALL_CONCURRENCY, userIds.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return result;
  }

  private chatId(): string {
    return this.store.chat()?.chat_id ?? "";
  }
}

function groupDevice(device: GroupDevice): GroupDevice {
  return { userId: device.userId, deviceId: device.deviceId };
}

/** Raises invalid_request naming the second entry of a repeated device. */
function checkDuplicates(devices: GroupDevice[], name: string): void {
  const seen = new Set<string>();
  devices.forEach((device, index) => {
    if (seen.has(device.deviceId)) {
      const field = `${name}.${index}`;
      throw new ApiError(
        "invalid_request",
        `${field}: device ${device.deviceId} is listed twice.`,
        field,
      );
    }
    seen.add(device.deviceId);
  });
}
