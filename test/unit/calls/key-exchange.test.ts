import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallPublicKey, ClientFrame } from "../../../protocol/index.ts";
import type { GroupCallKeyFrame } from "../../../pwa/src/data/call-frames.ts";
import { cipherSuite } from "../../../pwa/src/crypto/suite.ts";
import {
  SframeReceiver,
  SframeSender,
} from "../../../pwa/src/calls/e2ee/context.ts";
import {
  GroupCallKeys,
  SEND_SWITCH_DELAY_MS,
  type EpochView,
  type KeySink,
} from "../../../pwa/src/calls/e2ee/group-keys.ts";
import {
  CallKeyRejected,
  createLocalCallKey,
  leafOfKid,
  newGroupKid,
  openMediaKey,
  sealMediaKey,
  verifyCallKey,
  type LocalCallKey,
  type SealContext,
} from "../../../pwa/src/calls/e2ee/key-exchange.ts";

const CHAT = "g_chat";
const CALL = "call-1";
const BASE = new Uint8Array(32).fill(5);
const MEDIA_KEY = new Uint8Array(32).fill(9);

interface TestDevice {
  deviceId: string;
  leaf: number;
  signaturePublicKey: Uint8Array;
  local: LocalCallKey;
}

async function newTestDevice(deviceId: string, leaf: number) {
  const suite = await cipherSuite();
  const { publicKey, signKey } = await suite.signature.keygen();
  const local = await createLocalCallKey(CHAT, deviceId, signKey);
  return { deviceId, leaf, signaturePublicKey: publicKey, local };
}

function context(from: TestDevice, to: TestDevice, kid = 65_536): SealContext {
  return {
    callId: CALL,
    epoch: 4,
    base: BASE,
    senderDeviceId: from.deviceId,
    recipientDeviceId: to.deviceId,
    kid,
  };
}

async function publicKeyOf(device: TestDevice): Promise<CryptoKey> {
  return verifyCallKey(
    device.local.signed,
    CHAT,
    device.deviceId,
    device.signaturePublicKey,
  );
}

describe("call key sealing", () => {
  let ana: TestDevice;
  let ben: TestDevice;
  let cleo: TestDevice;

  beforeEach(async () => {
    ana = await newTestDevice("d-ana", 0);
    ben = await newTestDevice("d-ben", 1);
    cleo = await newTestDevice("d-cleo", 2);
  });

  it("round trip returns the media key", async () => {
    const sealed = await sealMediaKey(
      ana.local.keyPair.privateKey,
      await publicKeyOf(ben),
      context(ana, ben),
      MEDIA_KEY,
    );
    const opened = await openMediaKey(
      ben.local.keyPair.privateKey,
      await publicKeyOf(ana),
      context(ana, ben),
      sealed,
    );
    expect(Array.from(opened)).toEqual(Array.from(MEDIA_KEY));
  });

  it("key sealed to Ben does not open for Cleo", async () => {
    const sealed = await sealMediaKey(
      ana.local.keyPair.privateKey,
      await publicKeyOf(ben),
      context(ana, ben),
      MEDIA_KEY,
    );
    // Cleo has her own private key and Ana's public key, and may claim
    // to be the recipient or not: neither opens.
    for (const claimed of [context(ana, ben), context(ana, cleo)]) {
      await expect(
        openMediaKey(
          cleo.local.keyPair.privateKey,
          await publicKeyOf(ana),
          claimed,
          sealed,
        ),
      ).rejects.toThrow(CallKeyRejected);
    }
  });

  it("needs the epoch's exporter secret", async () => {
    const sealed = await sealMediaKey(
      ana.local.keyPair.privateKey,
      await publicKeyOf(ben),
      context(ana, ben),
      MEDIA_KEY,
    );
    const otherBase = { ...context(ana, ben), base: new Uint8Array(32) };
    await expect(
      openMediaKey(
        ben.local.keyPair.privateKey,
        await publicKeyOf(ana),
        otherBase,
        sealed,
      ),
    ).rejects.toThrow(CallKeyRejected);
  });

  it("binds call, KID and epoch", async () => {
    const sealed = await sealMediaKey(
      ana.local.keyPair.privateKey,
      await publicKeyOf(ben),
      context(ana, ben),
      MEDIA_KEY,
    );
    const changes: Partial<SealContext>[] = [
      { callId: "call-2" },
      { kid: 65_537 },
      { epoch: 5 },
    ];
    for (const change of changes) {
      await expect(
        openMediaKey(
          ben.local.keyPair.privateKey,
          await publicKeyOf(ana),
          { ...context(ana, ben), ...change },
          sealed,
        ),
      ).rejects.toThrow(CallKeyRejected);
    }
  });

  it("tampered signature is rejected", async () => {
    const signed = ana.local.signed;
    const flipped = signed.signature.startsWith("A") ? "B" : "A";
    const tampered = {
      ...signed,
      signature: flipped + signed.signature.slice(1),
    };
    await expect(
      verifyCallKey(tampered, CHAT, ana.deviceId, ana.signaturePublicKey),
    ).rejects.toThrow("invalid signature");
  });

  it("swapped public key is rejected", async () => {
    // The server puts Cleo's call key under Ana's signature.
    const swapped: CallPublicKey = {
      publicKey: cleo.local.signed.publicKey,
      signature: ana.local.signed.signature,
    };
    await expect(
      verifyCallKey(swapped, CHAT, ana.deviceId, ana.signaturePublicKey),
    ).rejects.toThrow("invalid signature");
  });

  it("key signed by another leaf is rejected", async () => {
    await expect(
      verifyCallKey(
        cleo.local.signed,
        CHAT,
        ana.deviceId,
        ana.signaturePublicKey,
      ),
    ).rejects.toThrow("invalid signature");
    await expect(
      verifyCallKey(
        ana.local.signed,
        "g_other",
        ana.deviceId,
        ana.signaturePublicKey,
      ),
    ).rejects.toThrow("invalid signature");
  });

  it("KID carries the sender's leaf", () => {
    const kid = newGroupKid(513);
    expect(leafOfKid(kid)).toBe(513);
    expect(Number.isSafeInteger(kid)).toBe(true);
    expect(() => newGroupKid(65_536)).toThrow(RangeError);
  });
});

/** Keys the GroupCallKeys of one device handed to its worker. */
class RecordingSink implements KeySink {
  send: { kid: number; secret: Uint8Array } | null = null;
  readonly receive = new Map<number, Uint8Array>();
  readonly retired = new Set<number>();

  setSendKey(kid: number, secret: Uint8Array): void {
    this.send = { kid, secret };
  }
  addReceiveKey(kid: number, secret: Uint8Array): void {
    this.receive.set(kid, secret);
  }
  retireReceiveKey(kid: number): void {
    this.retired.add(kid);
  }

  /** Returns a receiver with every key this device was given. */
  async receiver(): Promise<SframeReceiver> {
    const receiver = new SframeReceiver();
    for (const [kid, secret] of this.receive) {
      await receiver.addKey(kid, secret);
    }
    return receiver;
  }

  /** Encrypts one frame under the current send key. */
  async encrypt(frame: Uint8Array): Promise<Uint8Array> {
    if (this.send === null) throw new Error("no send key");
    const sender = new SframeSender();
    await sender.setKey(this.send.kid, this.send.secret);
    const sealed = await sender.encrypt(frame, 0);
    if (sealed === null) throw new Error("no send key");
    return sealed;
  }
}

interface CallDevice extends TestDevice {
  keys: GroupCallKeys;
  sink: RecordingSink;
  code: string;
}

/**
 * Devices of one chat and a room that relays key frames only between
 * current participants, as RoomGroupCalls.relayKey does.
 */
class TestCall {
  readonly devices = new Map<string, CallDevice>();
  private participants: string[] = [];
  /** Every key frame any device sent, as the server saw it. */
  readonly sentFrames: { from: string; frame: ClientFrame }[] = [];
  private deliveries: Promise<void> = Promise.resolve();

  async add(deviceId: string): Promise<CallDevice> {
    const base = await newTestDevice(deviceId, this.devices.size);
    const sink = new RecordingSink();
    const device: CallDevice = { ...base, sink, code: "" } as CallDevice;
    device.keys = new GroupCallKeys({
      chatId: CHAT,
      callId: CALL,
      deviceId,
      local: base.local,
      sink,
      send: (frame) => this.relay(deviceId, frame),
      catchUp: () => undefined,
      code: (code) => {
        device.code = code;
      },
    });
    this.devices.set(deviceId, device);
    return device;
  }

  /** Returns the chat's tree with every device made so far, at epoch 4. */
  view(): EpochView {
    const members = new Map(
      [...this.devices.values()].map((device) => [
        device.deviceId,
        { leaf: device.leaf, signaturePublicKey: device.signaturePublicKey },
      ]),
    );
    return { epoch: 4, base: BASE, members };
  }

  /**
   * Sets the participant list on every participant, as `groupcall.state`
   * does, and lets every key go out. Callers advance the timers to switch
   * the send keys.
   */
  async setParticipants(deviceIds: string[]): Promise<void> {
    this.participants = deviceIds;
    const list = deviceIds.map((id) => ({
      deviceId: id,
      callKey: this.devices.get(id)!.local.signed,
    }));
    for (const id of deviceIds) {
      const device = this.devices.get(id)!;
      await device.keys.setEpoch(this.view());
      await device.keys.setParticipants(list);
    }
    await this.settle();
  }

  private relay(from: string, frame: ClientFrame): void {
    this.sentFrames.push({ from, frame });
    if (
      frame.type !== "groupcall.key" &&
      frame.type !== "groupcall.key.request"
    ) {
      return;
    }
    if (!this.participants.includes(from)) return;
    if (!this.participants.includes(frame.toDeviceId)) return;
    const target = this.devices.get(frame.toDeviceId)!;
    const relayed: GroupCallKeyFrame =
      frame.type === "groupcall.key"
        ? {
            type: "groupcall.key",
            callId: frame.callId,
            fromDeviceId: from,
            kid: frame.kid,
            epoch: frame.epoch,
            sealed: frame.sealed,
          }
        : {
            type: "groupcall.key.request",
            callId: frame.callId,
            fromDeviceId: from,
          };
    this.deliveries = this.deliveries.then(() => target.keys.receive(relayed));
  }

  async settle(): Promise<void> {
    for (let round = 0; round < 5; round++) await this.deliveries;
  }
}

const FRAME = new TextEncoder().encode("a video frame");

async function decrypts(receiver: CallDevice, sender: CallDevice) {
  const frame = await sender.sink.encrypt(FRAME);
  const result = await (await receiver.sink.receiver()).decrypt(frame, 0);
  return result.kind;
}

describe("group call keys", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("participants decrypt each other", async () => {
    const call = new TestCall();
    const ana = await call.add("d-ana");
    const ben = await call.add("d-ben");
    const cleo = await call.add("d-cleo");
    await call.setParticipants(["d-ana", "d-ben", "d-cleo"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);
    for (const [receiver, sender] of [
      [ben, ana],
      [cleo, ana],
      [ana, cleo],
    ] as const) {
      expect(await decrypts(receiver, sender)).toBe("ok");
    }
    expect(ben.code).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
    expect(ana.code).toBe(ben.code);
    expect(cleo.code).toBe(ben.code);
  });

  it("leaver cannot decrypt the next key", async () => {
    const call = new TestCall();
    const ana = await call.add("d-ana");
    const ben = await call.add("d-ben");
    const cleo = await call.add("d-cleo");
    await call.setParticipants(["d-ana", "d-ben", "d-cleo"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);
    const oldKid = ana.sink.send?.kid;
    const framesBefore = call.sentFrames.length;

    await call.setParticipants(["d-ana", "d-ben"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);

    expect(ana.sink.send?.kid).not.toBe(oldKid);
    expect(await decrypts(ben, ana)).toBe("ok");
    expect(await decrypts(cleo, ana)).toBe("unknown_kid");
    // Nothing Ana sent after the leave names Cleo, and the key sealed to
    // Ben does not open with Cleo's call key either.
    const after = call.sentFrames.slice(framesBefore).map(({ frame }) => frame);
    const toBen = after.find(
      (frame) => frame.type === "groupcall.key" && frame.toDeviceId === "d-ben",
    );
    expect(toBen).toBeDefined();
    expect(
      after.some(
        (frame) =>
          frame.type === "groupcall.key" && frame.toDeviceId === "d-cleo",
      ),
    ).toBe(false);
    if (toBen?.type !== "groupcall.key") throw new Error("no key for Ben");
    await expect(
      openMediaKey(
        cleo.local.keyPair.privateKey,
        await publicKeyOf(ana),
        { ...context(ana, ben, toBen.kid), epoch: toBen.epoch },
        toBen.sealed,
      ),
    ).rejects.toThrow(CallKeyRejected);
    // Ben retired Cleo's key, which stays only for a grace time.
    expect(ben.sink.retired.has(cleo.sink.send!.kid)).toBe(true);
  });

  it("late joiner cannot decrypt earlier frames", async () => {
    const call = new TestCall();
    const ana = await call.add("d-ana");
    const ben = await call.add("d-ben");
    await call.setParticipants(["d-ana", "d-ben"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);
    const earlier = await ana.sink.encrypt(FRAME);
    const dan = await call.add("d-dan");

    await call.setParticipants(["d-ana", "d-ben", "d-dan"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);

    const danReceiver = await dan.sink.receiver();
    expect((await danReceiver.decrypt(earlier, 0)).kind).toBe("unknown_kid");
    expect(await decrypts(dan, ana)).toBe("ok");
    expect(await decrypts(ben, ana)).toBe("ok");
  });

  it("swapped call key gets no key", async () => {
    const call = new TestCall();
    const ana = await call.add("d-ana");
    const ben = await call.add("d-ben");
    const mallory = await newTestDevice("d-mallory", 9);
    await ana.keys.setEpoch(call.view());
    await ana.keys.setParticipants([
      { deviceId: "d-ana", callKey: ana.local.signed },
      // The server lists its own key for Ben.
      { deviceId: "d-ben", callKey: mallory.local.signed },
    ]);
    await call.settle();
    expect(
      call.sentFrames.some(
        ({ frame }) =>
          frame.type === "groupcall.key" && frame.toDeviceId === "d-ben",
      ),
    ).toBe(false);
    expect(ben.sink.receive.size).toBe(0);
  });

  it("key request gets the key again", async () => {
    const call = new TestCall();
    const ana = await call.add("d-ana");
    const ben = await call.add("d-ben");
    await call.setParticipants(["d-ana", "d-ben"]);
    vi.advanceTimersByTime(SEND_SWITCH_DELAY_MS);
    ben.sink.receive.clear();
    expect(await decrypts(ben, ana)).toBe("unknown_kid");

    ben.keys.requestKey("d-ana");
    await call.settle();

    expect(await decrypts(ben, ana)).toBe("ok");
  });
});
