import {
  ApiError,
  CALL_START_BURST,
  CALL_STARTS_PER_MINUTE,
  type CallEndReason,
  type CallInfo,
  type ServerFrame,
} from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import type { CallRecords, CurrentCall } from "./call-store.ts";
import type { Notifier } from "./notifications.ts";
import { send, SendBudget, type DeviceSockets } from "./sockets.ts";

/** The result of ringing a person; "waiting" means no device was connected. */
export type RingResult = "busy" | "rang" | "waiting";

type CallEndedFrame = Extract<ServerFrame, { type: "call.ended" }>;
type CallStateFrame = Extract<ServerFrame, { type: "call.state" }>;

/**
 * The calls of one person, on their UserHub: the current call, ringing
 * the devices, the `call` and `call.end` pushes, and the frames the
 * ChatRoom of a call sends to this person's devices.
 */
export class HubCalls {
  /** Per-device budget of `call.start` frames, kept in memory only. */
  private readonly startBudget = new SendBudget(
    CALL_STARTS_PER_MINUTE / 60,
    CALL_START_BURST,
  );

  constructor(
    private readonly env: Env,
    private readonly records: CallRecords,
    private readonly sockets: DeviceSockets,
    private readonly notifier: Notifier,
  ) {}

  /**
   * Takes one call start from the device's budget, or throws
   * "rate_limited" with the seconds to wait.
   */
  takeStartToken(deviceId: string): void {
    const retryAfter = this.startBudget.take(deviceId);
    if (retryAfter === 0) return;
    throw new ApiError(
      "rate_limited",
      `Too many calls started; try again in ${retryAfter} seconds.`,
      undefined,
      retryAfter,
    );
  }

  /** Returns the chat of `callId` when it is this person's current call. */
  chatOf(callId: string): string | undefined {
    const current = this.records.current();
    return current?.callId === callId ? current.chatId : undefined;
  }

  /**
   * Returns the current call other than `callId`, after asking its room
   * whether it is still live. A record whose call the room no longer has
   * live is dropped, because its end never reached this hub.
   */
  async otherLiveCall(callId: string): Promise<CurrentCall | undefined> {
    const current = this.records.current();
    if (current === undefined || current.callId === callId) return undefined;
    const room = chatRoom(this.env, current.chatId);
    if (await room.callIsLive(current.callId)) return current;
    this.records.clear(current.callId);
    log("call.stale_cleared", { callId: current.callId });
    return undefined;
  }

  /** Returns the current call when it is `callId` and rings this person. */
  ringingCall(callId: string): CurrentCall | undefined {
    const current = this.records.current();
    if (current?.callId !== callId || current.role !== "callee") {
      return undefined;
    }
    return current.state === "ringing" ? current : undefined;
  }

  /** Returns the recorded current call other than `callId`, unchecked. */
  otherRecordedCall(callId: string): CurrentCall | undefined {
    const current = this.records.current();
    return current?.callId === callId ? undefined : current;
  }

  /** Records an outgoing call of this person before the room stores it. */
  beginOutgoing(callId: string, chatId: string): void {
    this.records.set({
      callId,
      chatId,
      role: "caller",
      state: "ringing",
      call: null,
    });
  }

  /** Forgets an outgoing call that the room rejected. */
  abandon(callId: string): void {
    this.records.clear(callId);
  }

  /**
   * Rings every live device of this person with `call.incoming`, or sends
   * a `call` push when none is connected. Returns "busy" when this person
   * is in another live call.
   */
  async ring(call: CallInfo): Promise<RingResult> {
    if ((await this.otherLiveCall(call.callId)) !== undefined) return "busy";
    const current = this.records.current();
    if (current?.callId !== call.callId) {
      this.records.set({
        callId: call.callId,
        chatId: call.chatId,
        role: "callee",
        state: "ringing",
        call,
      });
    }
    const live = this.sockets.liveDeviceIds(Date.now());
    for (const deviceId of live) {
      this.sockets.sendToDevice(deviceId, { type: "call.incoming", call });
    }
    if (live.length > 0) return "rang";
    const pushed = this.notifier.callChanged({
      v: 1,
      type: "call",
      chatId: call.chatId,
      callId: call.callId,
      callerId: call.callerId,
      video: call.video,
      ts: call.startedAt,
    });
    if (pushed > 0) this.records.markPushed(call.callId);
    log("call.ring_pushed", { callId: call.callId, devices: pushed });
    return "waiting";
  }

  /**
   * Sends `call.incoming` to a device that connected or synced while this
   * person is rung, then lets the room tell the caller "ringing".
   */
  async ringDevice(
    deviceId: string,
    send: (frame: ServerFrame) => void,
  ): Promise<void> {
    const current = this.records.current();
    if (
      current?.role !== "callee" ||
      current.state !== "ringing" ||
      current.call === null
    ) {
      return;
    }
    send({ type: "call.incoming", call: current.call });
    try {
      await chatRoom(this.env, current.chatId).callDeviceRang(current.callId);
    } catch (error) {
      log("call.ring_report_failed", {
        callId: current.callId,
        deviceId,
        error: errorMessage(error),
      });
    }
  }

  /** Sends a frame of the room to one device, or to every device (null). */
  frame(deviceId: string | null, frame: ServerFrame): void {
    if (deviceId === null) this.sockets.broadcast(frame);
    else this.sockets.sendToDevice(deviceId, frame);
  }

  /**
   * Sends "accepted" to the device that answered and `elsewhere` to every
   * other device of this person, which stop ringing.
   */
  accepted(
    deviceId: string,
    state: CallStateFrame,
    elsewhere: CallEndedFrame,
  ): void {
    this.records.markAccepted(state.call.callId);
    for (const { ws, attachment } of this.sockets.open()) {
      const frame = attachment.deviceId === deviceId ? state : elsewhere;
      send(ws, frame);
    }
  }

  /**
   * Sends `call.ended` to every device and clears the current call. With
   * `acting`, devices other than the acting one get its `elsewhere`
   * reason. A callee who got a `call` push gets a `call.end` push.
   */
  ended(
    frame: CallEndedFrame,
    acting?: { deviceId: string; elsewhere: CallEndReason },
  ): void {
    for (const { ws, attachment } of this.sockets.open()) {
      const elsewhere =
        acting !== undefined && attachment.deviceId !== acting.deviceId;
      const reason = elsewhere ? acting.elsewhere : frame.reason;
      send(ws, { ...frame, reason });
    }
    const current = this.records.current();
    if (current?.callId !== frame.callId) return;
    this.records.clear(frame.callId);
    if (current.pushed) {
      this.notifier.callChanged({
        v: 1,
        type: "call.end",
        chatId: frame.chatId,
        callId: frame.callId,
        outcome: frame.outcome,
      });
    }
  }
}
