import type { ClientFrame } from "../../../../protocol/index.ts";
import type { GroupCallKeyFrame } from "../../data/call-frames.ts";
import { db } from "../../data/db.ts";
import { prepareGroup, requestNewest } from "../../data/encryption.ts";
import { log } from "../../data/log.ts";
import {
  isNewerEpoch,
  kidOf,
  kidParts,
  NO_PARTICIPANTS,
  senderSecret,
  verificationCode,
} from "./call-keys.ts";
import type { FrameEncryption } from "./frame-encryption.ts";
import {
  GroupCallKeys,
  SEND_SWITCH_DELAY_MS,
  type EpochView,
  type KeyParticipant,
} from "./group-keys.ts";
import { leafOfKid, type LocalCallKey } from "./key-exchange.ts";
import { loadEpochView } from "./mls-view.ts";

/**
 * Keeps a call's frame-encryption worker on the current keys
 * (call-keys.ts): it follows the chat's MLS epoch in IndexedDB and, in a
 * group call, the participants and the keys they seal to this device
 * (group-keys.ts). It watches for frames under KIDs this device has no
 * key for.
 */

/** How often the chat's MLS epoch and the worker's counters are read, in ms. */
const POLL_MS = 1_000;
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

/** Options of a group call's keyring beyond a one-to-one call's. */
export interface GroupKeyOptions {
  /** This device's call key (loadLocalCallKey); null when it failed. */
  local: Promise<LocalCallKey | null>;
  send(frame: ClientFrame): void;
}

export class CallKeyring {
  private epochKeys: EpochView | null = null;
  private generationKey = "";
  /** Set in a group call once this device's call key is ready. */
  private groupKeys: GroupCallKeys | null = null;
  private participants: KeyParticipant[] = [];
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
    private readonly group: GroupKeyOptions | null = null,
  ) {}

  /** Sets up the first keys and starts following changes. */
  start(): void {
    this.refresh();
    this.timers.push(
      setInterval(() => this.refresh(), POLL_MS),
      setInterval(() => void this.checkUnknownKids(), POLL_MS),
    );
  }

  /** Follows a group call's participant list, which starts new keys. */
  setParticipants(participants: KeyParticipant[]): void {
    this.participants = participants;
    this.enqueue(async () => {
      await this.groupKeys?.setParticipants(participants);
    });
  }

  /** Handles a group call key frame that the room relayed to this device. */
  receive(frame: GroupCallKeyFrame): void {
    this.enqueue(async () => {
      await this.groupKeys?.receive(frame);
    });
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.sendTimer);
    this.groupKeys?.stop();
    for (const timer of this.timers) clearInterval(timer);
  }

  /** Queues a check for a new epoch. */
  private refresh(): void {
    this.enqueue(() => this.update());
  }

  /** Runs `step` after the queued ones, so no two steps interleave. */
  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : step()))
      .catch((error: unknown) => {
        log("call_keys_failed", { callId: this.callId, error: String(error) });
      });
  }

  /** Creates the group call's keys once this device's call key is ready. */
  private async startGroupKeys(): Promise<GroupCallKeys | null> {
    if (this.groupKeys !== null || this.group === null) return this.groupKeys;
    const local = await this.group.local;
    if (local === null || this.stopped) return null;
    const group = this.group;
    this.groupKeys = new GroupCallKeys({
      chatId: this.chatId,
      callId: this.callId,
      deviceId: this.deviceId,
      local,
      sink: this.encryption,
      send: (frame) => group.send(frame),
      catchUp: () => this.catchUp(),
      code: (code) => this.events.code(code),
    });
    await this.groupKeys.setParticipants(this.participants);
    return this.groupKeys;
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
      this.epochKeys = await loadEpochView(this.chatId, this.callId);
    }
    const keys = this.epochKeys;
    const key = String(keys.epoch);
    if (key === this.generationKey || this.stopped) return;
    if (this.group !== null) {
      const groupKeys = await this.startGroupKeys();
      if (groupKeys === null) return;
      this.generationKey = key;
      await groupKeys.setEpoch(keys);
    } else {
      const first = this.generationKey === "";
      this.generationKey = key;
      await this.install(keys, first);
      this.events.code(await verificationCode(keys.base));
    }
    log("call_keys_generation", { callId: this.callId, epoch: keys.epoch });
  }

  /**
   * Adds the receive keys of a one-to-one call's epoch, retires the
   * previous ones and switches the send key after SEND_SWITCH_DELAY_MS
   * (at once for the first epoch).
   */
  private async install(keys: EpochView, first: boolean): Promise<void> {
    const generation = { epoch: keys.epoch, digest: NO_PARTICIPANTS };
    const kids = new Set<number>();
    let send: { kid: number; secret: Uint8Array } | null = null;
    for (const [device, { leaf }] of keys.members) {
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
    const groupKeys = this.groupKeys;
    for (const kid of stats.unknownKids) {
      if (groupKeys !== null) {
        // Group KIDs carry no epoch: ask the sender for its key.
        const device = groupKeys.deviceAt(leafOfKid(kid));
        if (device === undefined) continue;
        seen.add(device);
        groupKeys.requestKey(device);
        continue;
      }
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

function deviceAt(keys: EpochView | null, leaf: number): string | undefined {
  if (keys === null) return undefined;
  for (const [device, member] of keys.members) {
    if (member.leaf === leaf) return device;
  }
  return undefined;
}
