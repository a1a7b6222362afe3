import { mlsExporter } from "ts-mls";
import { epochOf, loadGroup, memberLeaves } from "../../crypto/group-state.ts";
import { MlsStore } from "../../crypto/store.ts";
import { cipherSuite } from "../../crypto/suite.ts";
import { db } from "../../data/db.ts";
import { prepareGroup, requestNewest } from "../../data/encryption.ts";
import { log } from "../../data/log.ts";
import {
  CALL_EXPORTER_LABEL,
  CALL_SECRET_BYTES,
  isNewerEpoch,
  kidOf,
  kidParts,
  NO_PARTICIPANTS,
  participantsDigest,
  senderSecret,
  verificationCode,
  type Generation,
} from "./call-keys.ts";
import type { FrameEncryption } from "./frame-encryption.ts";

/**
 * Keeps a call's frame-encryption worker on the current generation of
 * keys (call-keys.ts): it follows the chat's MLS epoch in IndexedDB and
 * the group call's participants, and watches for frames under KIDs this
 * device has no key for.
 */

/** How often the chat's MLS epoch and the worker's counters are read, in ms. */
const POLL_MS = 1_000;
/**
 * Wait between adding the receive keys of a new generation and sending
 * under it, in ms, so that the other participants, who learn of the same
 * change at about the same time, can decrypt the first frames.
 */
const SEND_SWITCH_DELAY_MS = 1_000;
/** How long a sender's frames may have an unknown KID before its tile shows "Waiting for keys…", in ms. */
export const KEY_WAIT_MS = 2_000;
/** Minimum time between two catch-up requests, in ms. */
const CATCH_UP_INTERVAL_MS = 2_000;

/** Callbacks of the keyring to the call that owns it. */
export interface KeyringEvents {
  /** The verification code changed; null while this device has no keys. */
  code(code: string | null): void;
  /** Devices whose frames have had no key for over KEY_WAIT_MS. */
  waiting(deviceIds: string[]): void;
}

/** The MLS data of one epoch that the keys derive from. */
interface EpochKeys {
  epoch: number;
  base: Uint8Array;
  /** Leaf index by device id. */
  leaves: Map<string, number>;
}

export class CallKeyring {
  private epochKeys: EpochKeys | null = null;
  /** Device ids of the group call's participants; null in a 1:1 call. */
  private participants: string[] | null = null;
  private generationKey = "";
  private receiveKids = new Set<number>();
  private sendTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** When each device's frames first had an unknown KID, in ms. */
  private readonly unknownSince = new Map<string, number>();
  private waitingKey = "";
  private lastCatchUp = 0;
  /** Frames that failed to decrypt, as of the last stats read. */
  private failedFrames = 0;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly encryption: FrameEncryption,
    private readonly chatId: string,
    private readonly callId: string,
    private readonly deviceId: string,
    private readonly events: KeyringEvents,
  ) {}

  /** Sets up the first keys and starts following changes. */
  start(): void {
    this.refresh();
    this.timers.push(
      setInterval(() => this.refresh(), POLL_MS),
      setInterval(() => void this.checkUnknownKids(), POLL_MS),
    );
  }

  /** Moves to the generation of a group call's new participant list. */
  setParticipants(deviceIds: string[]): void {
    this.participants = deviceIds;
    this.refresh();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.sendTimer);
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Queues a check for a new epoch or participant list. */
  private refresh(): void {
    this.queue = this.queue
      .then(() => this.update())
      .catch((error: unknown) => {
        log("call_keys_failed", { callId: this.callId, error: String(error) });
      });
  }

  private async update(): Promise<void> {
    if (this.stopped) return;
    const row = await db.mlsGroups.get(this.chatId);
    if (row === undefined) {
      // A chat without a message yet has no MLS group: make one, or join.
      this.prepareGroupSoon();
      return;
    }
    if (this.epochKeys?.epoch !== row.epoch) {
      this.epochKeys = await this.loadEpoch();
    }
    const keys = this.epochKeys;
    const digest =
      this.participants === null
        ? NO_PARTICIPANTS
        : await participantsDigest(this.participants);
    const generation = { epoch: keys.epoch, digest };
    const key = `${keys.epoch}/${Array.from(digest).join(",")}`;
    if (key === this.generationKey || this.stopped) return;
    const first = this.generationKey === "";
    this.generationKey = key;
    await this.install(keys, generation, first);
    this.events.code(await verificationCode(keys.base));
    log("call_keys_generation", { callId: this.callId, epoch: keys.epoch });
  }

  private async loadEpoch(): Promise<EpochKeys> {
    const { state } = await loadGroup(new MlsStore(db), this.chatId);
    const base = await mlsExporter(
      state.keySchedule.exporterSecret,
      CALL_EXPORTER_LABEL,
      new TextEncoder().encode(this.callId),
      CALL_SECRET_BYTES,
      await cipherSuite(),
    );
    const leaves = new Map<string, number>();
    for (const member of memberLeaves(state)) {
      leaves.set(member.deviceId, member.leafIndex);
    }
    return { epoch: epochOf(state), base, leaves };
  }

  /**
   * Adds the receive keys of `generation`, retires the previous ones and
   * switches the send key after SEND_SWITCH_DELAY_MS (at once for the
   * first generation).
   */
  private async install(
    keys: EpochKeys,
    generation: Generation,
    first: boolean,
  ): Promise<void> {
    const devices = this.participants ?? [...keys.leaves.keys()];
    const kids = new Set<number>();
    let send: { kid: number; secret: Uint8Array } | null = null;
    for (const device of devices) {
      const leaf = keys.leaves.get(device);
      if (leaf === undefined) continue;
      const kid = kidOf(generation, leaf);
      const secret = await senderSecret(keys.base, device, generation);
      if (device === this.deviceId) {
        send = { kid, secret };
        continue;
      }
      this.encryption.addReceiveKey(kid, secret);
      kids.add(kid);
    }
    for (const kid of this.receiveKids) {
      if (!kids.has(kid)) this.encryption.retireReceiveKey(kid);
    }
    this.receiveKids = kids;
    clearTimeout(this.sendTimer);
    if (send === null) {
      log("call_keys_not_member", { callId: this.callId, epoch: keys.epoch });
      return;
    }
    const { kid, secret } = send;
    if (first) this.encryption.setSendKey(kid, secret);
    else {
      this.sendTimer = setTimeout(() => {
        this.encryption.setSendKey(kid, secret);
      }, SEND_SWITCH_DELAY_MS);
    }
  }

  /**
   * Reads the KIDs without a key from the worker. A KID of a newer epoch
   * makes this device catch up with the chat's MLS group. A sender whose
   * KIDs stay unknown for KEY_WAIT_MS is reported as waiting for keys.
   */
  private async checkUnknownKids(): Promise<void> {
    const keys = this.epochKeys;
    if (this.stopped) return;
    const stats = await this.encryption.stats();
    const now = Date.now();
    if (stats.failed > this.failedFrames) {
      log("call_frames_failed", {
        callId: this.callId,
        frames: stats.failed - this.failedFrames,
        decrypted: stats.decrypted,
      });
    }
    this.failedFrames = stats.failed;

    const seen = new Set<string>();
    for (const kid of stats.unknownKids) {
      const parts = kidParts(kid);
      const device = deviceAt(keys, parts.leaf);
      if (device !== undefined) seen.add(device);
      if (keys === null || isNewerEpoch(parts.epoch, keys.epoch)) {
        this.catchUp();
      }
    }

    for (const device of this.unknownSince.keys()) {
      if (!seen.has(device)) this.unknownSince.delete(device);
    }
    for (const device of seen) {
      if (!this.unknownSince.has(device)) this.unknownSince.set(device, now);
    }
    const waiting = [...this.unknownSince]
      .filter(([, since]) => now - since >= KEY_WAIT_MS)
      .map(([device]) => device)
      .sort();
    // Keys out of date for KEY_WAIT_MS whatever the KID's epoch: read the
    // group again, in case a commit arrived that this device missed.
    if (waiting.length > 0) this.catchUp();
    const waitingKey = waiting.join(",");
    if (waitingKey === this.waitingKey) return;
    this.waitingKey = waitingKey;
    this.events.waiting(waiting);
  }

  private prepareGroupSoon(): void {
    if (Date.now() - this.lastCatchUp < CATCH_UP_INTERVAL_MS) return;
    this.lastCatchUp = Date.now();
    log("call_keys_prepare_group", {
      callId: this.callId,
      chatId: this.chatId,
    });
    prepareGroup(this.chatId).catch((error: unknown) => {
      log("call_keys_prepare_failed", {
        callId: this.callId,
        error: String(error),
      });
    });
  }

  private catchUp(): void {
    if (Date.now() - this.lastCatchUp < CATCH_UP_INTERVAL_MS) return;
    this.lastCatchUp = Date.now();
    log("call_keys_catch_up", { callId: this.callId, chatId: this.chatId });
    requestNewest(this.chatId);
    this.refresh();
  }
}

function deviceAt(keys: EpochKeys | null, leaf: number): string | undefined {
  if (keys === null) return undefined;
  for (const [device, index] of keys.leaves) {
    if (index === leaf) return device;
  }
  return undefined;
}
