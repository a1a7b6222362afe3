import {
  ClaimReply,
  CommitReply,
  GroupStatus,
  REQUEST_ADD_INTERVAL_MS,
  type CommitBody,
  type GroupDevice,
} from "../../../protocol/mls.ts";
import {
  commitChanges,
  createGroup,
  joinFromWelcome,
  processCommit,
  type DeviceIdentity,
  type MlsStore,
} from "../crypto/index.ts";
import { loadGroup } from "../crypto/group-state.ts";
import { log } from "../data/log.ts";
import { ApiFailure } from "../data/types.ts";
import { noteKeyChanges } from "./key-changes.ts";
import type { EngineOptions } from "./types.ts";

/** Rounds of status, commit and catch-up before a send gives up for now. */
const MAX_ROUNDS = 4;
/** Time to wait for missed commits to arrive through the chat log. */
const CATCH_UP_MS = 5_000;
const CATCH_UP_POLL_MS = 100;

/** The state of a chat's group before a send: ready, or waiting to join. */
export type Readiness = "ready" | "waiting";

/**
 * Brings this device's state of a chat's MLS group in line with the
 * server's, so that a message encrypted next reaches every active device
 * of every member:
 * - at epoch 0 it creates the group and adds the other devices;
 * - with a Welcome waiting it joins;
 * - out of the group without a Welcome it requests an add, and waits;
 * - in the group it commits the removal of stale devices and the addition
 *   of missing ones, catching up first when another commit won.
 */
export class GroupKeeper {
  private readonly joining = new Map<string, Promise<void>>();
  /** When an incoming message last made this device request an add. */
  private readonly addRequestedAt = new Map<string, number>();

  constructor(
    private readonly options: EngineOptions,
    private readonly store: MlsStore,
    private readonly identity: DeviceIdentity,
  ) {}

  async prepare(chatId: string): Promise<Readiness> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const status = await this.status(chatId);
      const next = await this.step(chatId, status);
      if (next !== "again") return next;
    }
    log("e2ee_group_not_settled", { chatId, rounds: MAX_ROUNDS });
    return "waiting";
  }

  /**
   * Joins from the Welcome waiting for this device. Without a Welcome or
   * a group state, requests an add from the members. Returns true when
   * this device has a group state for the chat afterwards.
   */
  async joinOrRequestAdd(chatId: string): Promise<boolean> {
    const status = await this.status(chatId);
    const local = await this.store.group(chatId);
    if (isNewer(status.welcome, local)) {
      await this.join(chatId, status);
      return (await this.store.group(chatId)) !== undefined;
    }
    // Members' devices trust a ready group for minutes, so a device that
    // only receives would not be added until it sent a message itself.
    const last = this.addRequestedAt.get(chatId) ?? 0;
    if (local === undefined && Date.now() - last >= REQUEST_ADD_INTERVAL_MS) {
      this.addRequestedAt.set(chatId, Date.now());
      await this.requestAdd(chatId, status.inGroup);
    }
    return false;
  }

  private status(chatId: string): Promise<GroupStatus> {
    return this.options.http("GET", `/chats/${chatId}/mls`, GroupStatus);
  }

  private async step(
    chatId: string,
    status: GroupStatus,
  ): Promise<Readiness | "again"> {
    const local = await this.store.group(chatId);
    if (status.epoch === 0) {
      if (local !== undefined) await this.store.deleteGroup(chatId);
      await createGroup(this.store, this.identity, chatId);
      const others = status.missing.filter((device) => !this.isSelf(device));
      return (await this.commit(chatId, others, [])) ? "ready" : "again";
    }
    // The room counts a device in the group from the commit that added
    // it, so a Welcome may wait for a device that is already "in" it.
    if (isNewer(status.welcome, local)) {
      await this.join(chatId, status);
      return "again";
    }
    if (!status.inGroup) {
      await this.requestAdd(chatId, local !== undefined);
      return "waiting";
    }
    if (local === undefined || (await this.isRemoved(chatId))) {
      await this.store.deleteGroup(chatId);
      await this.requestAdd(chatId, true);
      return "waiting";
    }
    if (local.epoch < status.epoch) {
      return (await this.catchUp(chatId, status.epoch)) ? "again" : "waiting";
    }
    const missing = status.missing.filter((device) => !this.isSelf(device));
    // A device that asked for a reset and then joined is still listed as
    // stale. MLS forbids a commit that removes its committer, so another
    // member removes and adds it again.
    const stale = status.stale.filter((device) => !this.isSelf(device));
    if (missing.length === 0 && stale.length === 0) return "ready";
    await this.commit(chatId, missing, stale);
    return "again";
  }

  private isSelf(device: GroupDevice): boolean {
    return (
      device.userId === this.options.userId &&
      device.deviceId === this.options.deviceId
    );
  }

  private async isRemoved(chatId: string): Promise<boolean> {
    const { state } = await loadGroup(this.store, chatId);
    return state.groupActiveState.kind !== "active";
  }

  /**
   * Joins from the status's Welcome. Joins of one chat run one at a time,
   * because a second join with the same Welcome would find its KeyPackage
   * used up and ask for a reset the group does not need.
   */
  private join(chatId: string, status: GroupStatus): Promise<void> {
    const previous = this.joining.get(chatId) ?? Promise.resolve();
    const next = previous.then(() => this.joinOnce(chatId, status));
    this.joining.set(chatId, next);
    const forget = () => {
      if (this.joining.get(chatId) === next) this.joining.delete(chatId);
    };
    next.then(forget, forget);
    return next;
  }

  private async joinOnce(chatId: string, status: GroupStatus): Promise<void> {
    const welcome = status.welcome;
    if (!isNewer(welcome, await this.store.group(chatId))) return;
    try {
      await joinFromWelcome(this.store, this.identity, chatId, welcome);
    } catch (error) {
      log("e2ee_join_failed", { chatId, error: String(error) });
      await this.requestAdd(chatId, true);
      return;
    }
    // Messages up to the last commit now in the log were sent before
    // this device could read them.
    await this.options.db.kv.put({
      key: joinedKey(chatId),
      value: status.commitSeq,
    });
    log("e2ee_joined", { chatId, epoch: welcome.epoch });
    await noteKeyChanges(chatId, this.options.db);
    this.options.requestNewest(chatId);
  }

  private async requestAdd(chatId: string, reset: boolean): Promise<void> {
    try {
      await this.options.http(
        "POST",
        `/chats/${chatId}/mls/request-add`,
        null,
        { reset },
      );
      log("e2ee_add_requested", { chatId, reset });
    } catch (error) {
      // A request made less than 30 s ago is still waiting for members.
      log("e2ee_add_request_failed", { chatId, error: String(error) });
    }
  }

  /**
   * Claims KeyPackages for `add` and sends one commit that removes
   * `remove` and adds the claimed devices, then applies it at once, so
   * the next message is encrypted for the new epoch. Returns false when
   * another commit won the epoch; this device then catches up.
   */
  private async commit(
    chatId: string,
    add: GroupDevice[],
    remove: GroupDevice[],
  ): Promise<boolean> {
    const claimed =
      add.length === 0
        ? { keyPackages: [], unavailable: [] }
        : await this.options.http(
            "POST",
            `/chats/${chatId}/mls/claim`,
            ClaimReply,
            { devices: add },
          );
    const body: CommitBody = await commitChanges(this.store, chatId, {
      add: claimed.keyPackages,
      remove,
    });
    try {
      await this.options.http(
        "POST",
        `/chats/${chatId}/mls/commit`,
        CommitReply,
        body,
      );
    } catch (error) {
      if (!(error instanceof ApiFailure) || error.code !== "stale_epoch") {
        throw error;
      }
      log("e2ee_commit_stale", { chatId, epoch: body.epoch });
      if (body.epoch === 0) await this.store.deleteGroup(chatId);
      else await this.catchUp(chatId, body.epoch + 1);
      return false;
    }
    await processCommit(this.store, chatId, body);
    await noteKeyChanges(chatId, this.options.db);
    log("e2ee_committed", {
      chatId,
      epoch: body.epoch,
      added: body.added.length,
      removed: body.removed.length,
      unavailable: claimed.unavailable.length,
    });
    return true;
  }

  /** Waits until the commits up to `epoch` arrived and were applied. */
  private async catchUp(chatId: string, epoch: number): Promise<boolean> {
    this.options.requestNewest(chatId);
    const deadline = Date.now() + CATCH_UP_MS;
    while (Date.now() < deadline) {
      const local = await this.store.group(chatId);
      if (local === undefined || local.epoch >= epoch) return true;
      await new Promise((resolve) => setTimeout(resolve, CATCH_UP_POLL_MS));
    }
    log("e2ee_catch_up_timed_out", { chatId, epoch });
    return false;
  }
}

/** Tells whether a Welcome starts at a later epoch than the local state. */
function isNewer(
  welcome: GroupStatus["welcome"],
  local: { epoch: number } | undefined,
): welcome is NonNullable<GroupStatus["welcome"]> {
  return (
    welcome !== null && (local === undefined || local.epoch < welcome.epoch)
  );
}

/** Key-value row with the last log sequence before this device joined. */
export function joinedKey(chatId: string): string {
  return `e2ee.joinedSeq.${chatId}`;
}
