import type { CallPublicKey, ClientFrame } from "../../../../protocol/index.ts";
import type { GroupCallKeyFrame } from "../../data/call-frames.ts";
import { sameBytes } from "../../crypto/encoding.ts";
import { log } from "../../data/log.ts";
import { CALL_SECRET_BYTES, verificationCode } from "./call-keys.ts";
import {
  leafOfKid,
  newGroupKid,
  openMediaKey,
  sealMediaKey,
  verifyCallKey,
  type LocalCallKey,
  type SealContext,
} from "./key-exchange.ts";

/**
 * The media keys of a group call on one device (key-exchange.ts). At call
 * start, at every join or leave and at every new MLS epoch of the chat,
 * this device draws a random send key under a new KID. It seals that key
 * to each current participant whose signed call key verifies against its
 * leaf in the chat's ratchet tree. It installs the keys that the others
 * seal to it, and drops those of devices that left.
 */

/**
 * Wait between sending a new key and encrypting with it, in ms, so that
 * the other participants can decrypt the first frames.
 */
export const SEND_SWITCH_DELAY_MS = 1_000;
/** Minimum time between two key requests to, or resends for, a device, in ms. */
export const KEY_REQUEST_INTERVAL_MS = 2_000;
/** Past epochs whose exporter secrets open late keys. */
const KEPT_EPOCHS = 3;

/** The receiver of keys: the frame-encryption worker, or SFrame classes in tests. */
export interface KeySink {
  setSendKey(kid: number, secret: Uint8Array): void;
  addReceiveKey(kid: number, secret: Uint8Array): void;
  retireReceiveKey(kid: number): void;
}

/** A device in the chat's ratchet tree. */
export interface TreeMember {
  leaf: number;
  signaturePublicKey: Uint8Array;
}

/** The chat's MLS group at one epoch, as the call's keys use it. */
export interface EpochView {
  epoch: number;
  /** The call's MLS exporter secret at `epoch` (call-keys.ts). */
  base: Uint8Array;
  /** Tree members by device id. */
  members: Map<string, TreeMember>;
}

/** A participant as the room's `groupcall.state` lists it. */
export interface KeyParticipant {
  deviceId: string;
  callKey: CallPublicKey | null;
}

/** A participant device whose call key verified. */
interface Peer {
  signed: CallPublicKey;
  signaturePublicKey: Uint8Array;
  key: CryptoKey;
  leaf: number;
}

interface SendKey {
  kid: number;
  secret: Uint8Array;
  epoch: number;
  base: Uint8Array;
  /** The call public key each device got this key sealed to. */
  sentTo: Map<string, string>;
}

export interface GroupKeysOptions {
  chatId: string;
  callId: string;
  deviceId: string;
  local: LocalCallKey;
  sink: KeySink;
  send(frame: ClientFrame): void;
  /** Called when a key or participant needs a newer MLS epoch. */
  catchUp(): void;
  /** Called with the verification code after every change. */
  code(code: string): void;
  now?: () => number;
}

export class GroupCallKeys {
  private view: EpochView | null = null;
  private readonly bases = new Map<number, Uint8Array>();
  private participants: KeyParticipant[] = [];
  private peers = new Map<string, Peer>();
  private current: SendKey | null = null;
  private generation = "";
  private switchTimer: ReturnType<typeof setTimeout> | undefined;
  /** Installed receive KIDs by sender device. */
  private readonly received = new Map<string, number>();
  /** The latest key of each sender that did not open yet. */
  private readonly pending = new Map<
    string,
    Extract<GroupCallKeyFrame, { type: "groupcall.key" }>
  >();
  private readonly lastRequest = new Map<string, number>();
  private readonly lastResend = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: GroupKeysOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The KID this device sends under, once it drew a key. */
  get sendKid(): number | null {
    return this.current?.kid ?? null;
  }

  /** Moves to an epoch of the chat's MLS group. */
  async setEpoch(view: EpochView): Promise<void> {
    this.view = view;
    this.bases.set(view.epoch, view.base);
    for (const epoch of this.bases.keys()) {
      if (epoch <= view.epoch - KEPT_EPOCHS) this.bases.delete(epoch);
    }
    await this.sync();
  }

  /** Follows the participant list of the room's `groupcall.state`. */
  async setParticipants(participants: KeyParticipant[]): Promise<void> {
    this.participants = participants;
    await this.sync();
  }

  /** Handles a key sealed to this device, or a request to resend ours. */
  async receive(frame: GroupCallKeyFrame): Promise<void> {
    const from = frame.fromDeviceId;
    if (frame.type === "groupcall.key.request") {
      const last = this.lastResend.get(from) ?? -Infinity;
      if (this.now() - last < KEY_REQUEST_INTERVAL_MS) return;
      this.lastResend.set(from, this.now());
      this.current?.sentTo.delete(from);
      await this.distribute();
      return;
    }
    this.pending.set(from, frame);
    await this.openPending();
  }

  /** Requests the current key of `deviceId`, whose frames have no key. */
  requestKey(deviceId: string): void {
    if (!this.peers.has(deviceId)) return;
    const last = this.lastRequest.get(deviceId) ?? -Infinity;
    if (this.now() - last < KEY_REQUEST_INTERVAL_MS) return;
    this.lastRequest.set(deviceId, this.now());
    log("call_key_requested", { callId: this.options.callId, deviceId });
    this.options.send({
      type: "groupcall.key.request",
      callId: this.options.callId,
      toDeviceId: deviceId,
    });
  }

  /** Returns the device at `leaf` in the current epoch's tree. */
  deviceAt(leaf: number): string | undefined {
    for (const [deviceId, member] of this.view?.members ?? []) {
      if (member.leaf === leaf) return deviceId;
    }
    return undefined;
  }

  stop(): void {
    clearTimeout(this.switchTimer);
  }

  private async sync(): Promise<void> {
    const view = this.view;
    if (view === null) return;
    await this.verifyPeers(view);
    for (const [deviceId, kid] of this.received) {
      if (this.peers.has(deviceId)) continue;
      this.options.sink.retireReceiveKey(kid);
      this.received.delete(deviceId);
    }
    const ids = this.participants.map((participant) => participant.deviceId);
    const generation = `${view.epoch}|${[...new Set(ids)].sort().join(",")}`;
    if (generation !== this.generation) {
      this.generation = generation;
      this.rekey(view);
    }
    await this.distribute();
    await this.openPending();
    const keys = [this.options.local.signed.publicKey];
    for (const peer of this.peers.values()) keys.push(peer.signed.publicKey);
    this.options.code(await verificationCode(view.base, keys));
  }

  /** Verifies the call keys of the other participants in the tree. */
  private async verifyPeers(view: EpochView): Promise<void> {
    const peers = new Map<string, Peer>();
    let behind = false;
    for (const { deviceId, callKey } of this.participants) {
      if (deviceId === this.options.deviceId || callKey === null) continue;
      const member = view.members.get(deviceId);
      if (member === undefined) {
        // A participant this device's tree lacks joined the chat later.
        behind = true;
        continue;
      }
      const known = this.peers.get(deviceId);
      if (
        known !== undefined &&
        known.signed.publicKey === callKey.publicKey &&
        known.signed.signature === callKey.signature &&
        sameBytes(known.signaturePublicKey, member.signaturePublicKey)
      ) {
        peers.set(deviceId, { ...known, leaf: member.leaf });
        continue;
      }
      try {
        const key = await verifyCallKey(
          callKey,
          this.options.chatId,
          deviceId,
          member.signaturePublicKey,
        );
        peers.set(deviceId, {
          signed: callKey,
          signaturePublicKey: member.signaturePublicKey,
          key,
          leaf: member.leaf,
        });
      } catch (error) {
        log("call_key_rejected", {
          callId: this.options.callId,
          deviceId,
          error: String(error),
        });
      }
    }
    this.peers = peers;
    if (behind) this.options.catchUp();
  }

  /**
   * Draws a new send key. The worker encrypts with it after
   * SEND_SWITCH_DELAY_MS, or at once when it is this call's first key.
   */
  private rekey(view: EpochView): void {
    const me = view.members.get(this.options.deviceId);
    clearTimeout(this.switchTimer);
    if (me === undefined) {
      log("call_keys_not_member", {
        callId: this.options.callId,
        epoch: view.epoch,
      });
      this.current = null;
      return;
    }
    const first = this.current === null;
    const next: SendKey = {
      kid: newGroupKid(me.leaf),
      secret: crypto.getRandomValues(new Uint8Array(CALL_SECRET_BYTES)),
      epoch: view.epoch,
      base: view.base,
      sentTo: new Map(),
    };
    this.current = next;
    if (first) {
      this.options.sink.setSendKey(next.kid, next.secret);
      return;
    }
    this.switchTimer = setTimeout(() => {
      if (this.current === next) {
        this.options.sink.setSendKey(next.kid, next.secret);
      }
    }, SEND_SWITCH_DELAY_MS);
  }

  /** Seals the current send key to every peer that lacks it. */
  private async distribute(): Promise<void> {
    const current = this.current;
    if (current === null) return;
    for (const [deviceId, peer] of this.peers) {
      if (current.sentTo.get(deviceId) === peer.signed.publicKey) continue;
      current.sentTo.set(deviceId, peer.signed.publicKey);
      const sealed = await sealMediaKey(
        this.options.local.keyPair.privateKey,
        peer.key,
        this.context(current.epoch, current.base, current.kid, deviceId, true),
        current.secret,
      );
      this.options.send({
        type: "groupcall.key",
        callId: this.options.callId,
        toDeviceId: deviceId,
        kid: current.kid,
        epoch: current.epoch,
        sealed,
      });
    }
  }

  /** Opens and installs the pending keys of verified peers. */
  private async openPending(): Promise<void> {
    const view = this.view;
    if (view === null) return;
    for (const [deviceId, frame] of this.pending) {
      const peer = this.peers.get(deviceId);
      // Kept until the room's state names the sender with a valid key.
      if (peer === undefined) continue;
      const base = this.bases.get(frame.epoch);
      if (base === undefined) {
        if (frame.epoch > view.epoch) {
          this.options.catchUp();
          continue;
        }
        this.drop(deviceId, `epoch ${frame.epoch} is too old`);
        this.requestKey(deviceId);
        continue;
      }
      if (leafOfKid(frame.kid) !== peer.leaf) {
        this.drop(deviceId, `KID ${frame.kid} names another leaf`);
        continue;
      }
      let secret: Uint8Array;
      try {
        secret = await openMediaKey(
          this.options.local.keyPair.privateKey,
          peer.key,
          this.context(frame.epoch, base, frame.kid, deviceId, false),
          frame.sealed,
        );
      } catch (error) {
        this.drop(deviceId, String(error));
        continue;
      }
      // A newer key of the sender may have arrived during the await.
      if (this.pending.get(deviceId) === frame) this.pending.delete(deviceId);
      this.install(deviceId, frame.kid, secret);
    }
  }

  private install(deviceId: string, kid: number, secret: Uint8Array): void {
    const previous = this.received.get(deviceId);
    this.options.sink.addReceiveKey(kid, secret);
    if (previous !== undefined && previous !== kid) {
      this.options.sink.retireReceiveKey(previous);
    }
    this.received.set(deviceId, kid);
  }

  private drop(deviceId: string, reason: string): void {
    this.pending.delete(deviceId);
    log("call_key_dropped", {
      callId: this.options.callId,
      deviceId,
      error: reason,
    });
  }

  private context(
    epoch: number,
    base: Uint8Array,
    kid: number,
    other: string,
    sending: boolean,
  ): SealContext {
    const self = this.options.deviceId;
    return {
      callId: this.options.callId,
      epoch,
      base,
      kid,
      senderDeviceId: sending ? self : other,
      recipientDeviceId: sending ? other : self,
    };
  }
}
