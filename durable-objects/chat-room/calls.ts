import {
  ApiError,
  CALL_RING_TIMEOUT_MS,
  type CallInfo,
  type ClientFrame,
  type ServerFrame,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { countEvent } from "../../worker/metrics.ts";
import { assertNever, errorMessage, log } from "../../worker/log.ts";
import { CallEnds, type CallEnd } from "./call-ends.ts";
import {
  callInfo,
  peerDevice,
  type CallRow,
  type CallStore,
} from "./call-store.ts";
import type { Fanout } from "./fanout.ts";
import { requireMember } from "./membership.ts";
import type { Caller } from "./mls.ts";
import type { RoomStore } from "./store.ts";
import type { TypingRelay } from "./typing.ts";

/** The frames that only the two devices of an accepted call send. */
export type CallPeerFrame = Extract<
  ClientFrame,
  { type: "call.signal" | "call.media" | "call.ping" }
>;

const NOT_RINGING = "This call is not ringing any more.";
const NOT_LIVE = "This call has ended or does not exist in this chat.";
const NOT_IN_CALL =
  "Only the two devices of an accepted call exchange call signalling.";

/**
 * The call state machine of one one-to-one chat (protocol/calls.ts). The
 * live call is stored in the `call` table, so an evicted room resumes it,
 * and its deadlines run on the room's alarm. Frames reach devices through
 * their UserHubs; each check and its storage write happen before the
 * first await, so the input gate orders concurrent frames.
 */
export class RoomCalls {
  private readonly ends: CallEnds;

  constructor(
    private readonly store: RoomStore,
    private readonly calls: CallStore,
    fanout: Fanout,
    private readonly typingRelay: TypingRelay,
    private readonly env: Env,
    storage: DurableObjectStorage,
  ) {
    this.ends = new CallEnds(store, calls, fanout, env, storage);
  }

  /**
   * Stores a new ringing call from `caller` to the other member. A resend
   * of the live call's `call.start` returns it again.
   */
  async start(
    caller: Caller,
    callId: string,
    video: boolean,
  ): Promise<CallInfo> {
    const { chatId, calleeId } = this.requireCallable(caller.userId);
    const live = this.calls.live();
    if (live !== undefined) {
      if (live.call_id === callId && live.caller_id === caller.userId) {
        return callInfo(live, chatId);
      }
      throw new ApiError(
        "conflict",
        "A call is already going on in this chat; wait for it to end.",
      );
    }
    if (this.calls.byId(callId) !== undefined) {
      throw new ApiError(
        "conflict",
        `Call id ${callId} was already used; make a new one.`,
        "callId",
      );
    }
    const now = Date.now();
    const call: CallInfo = {
      callId,
      chatId,
      callerId: caller.userId,
      callerDeviceId: caller.deviceId,
      calleeId,
      video,
      startedAt: now,
    };
    this.calls.insert(call, now + CALL_RING_TIMEOUT_MS);
    countEvent(this.env, "call.started", { detail: video ? "video" : "voice" });
    log("call.started", {
      chatId: call.chatId,
      callId,
      callerId: caller.userId,
      deviceId: caller.deviceId,
      calleeId,
      video,
    });
    await this.ends.scheduleAlarm();
    return call;
  }

  /**
   * Rings the callee's devices through their hub. A busy callee ends the
   * call at once. When a device rings, the caller gets "ringing".
   */
  async ring(callId: string): Promise<void> {
    const row = this.liveRow(callId);
    if (row === undefined || row.state !== "ringing") return;
    const call = callInfo(row, this.chatId());
    const result = await userHub(this.env, row.callee_id).callRing(call);
    if (result === "busy") {
      const current = this.calls.byId(callId);
      if (current?.ended_at === null) {
        await this.ends.finish(current, { outcome: "busy", reason: "busy" });
      }
      return;
    }
    if (result === "rang") await this.deviceRang(callId);
  }

  /** Tells the caller "ringing" once a device of the callee rings. */
  async deviceRang(callId: string): Promise<void> {
    const row = this.calls.byId(callId);
    if (row === undefined || !this.calls.markRingingSent(callId)) return;
    const frame: ServerFrame = {
      type: "call.state",
      call: callInfo(row, this.chatId()),
      state: "ringing",
    };
    await this.toHub(row.caller_id, (hub) =>
      hub.callFrame(row.caller_device_id, frame),
    );
  }

  /** Connects the callee device `callee` with the caller's device. */
  async accept(callee: Caller, callId: string): Promise<void> {
    const row = this.liveRow(callId);
    if (row === undefined) throw new ApiError("not_found", NOT_RINGING);
    if (row.callee_id !== callee.userId) {
      throw new ApiError("forbidden", "Only the callee can accept this call.");
    }
    if (row.state === "accepted") {
      if (row.callee_device_id === callee.deviceId) return;
      throw new ApiError(
        "conflict",
        "The call was answered on another device.",
      );
    }
    const now = Date.now();
    this.calls.accept(callId, callee.deviceId, now);
    log("call.accepted", {
      chatId: this.chatId(),
      callId,
      calleeId: callee.userId,
      deviceId: callee.deviceId,
    });
    const call = callInfo(row, this.chatId());
    const accepted = { type: "call.state", call, state: "accepted" } as const;
    const elsewhere: ServerFrame = {
      type: "call.ended",
      callId,
      chatId: call.chatId,
      reason: "answered_elsewhere",
      outcome: "completed",
      durationMs: 0,
    };
    await Promise.all([
      this.toHub(row.caller_id, (hub) =>
        hub.callFrame(row.caller_device_id, {
          ...accepted,
          peerDeviceId: callee.deviceId,
          polite: false,
          acceptedAt: now,
        }),
      ),
      this.toHub(row.callee_id, (hub) =>
        hub.callAccepted(
          callee.deviceId,
          {
            ...accepted,
            peerDeviceId: row.caller_device_id,
            polite: true,
            acceptedAt: now,
          },
          elsewhere,
        ),
      ),
      this.ends.scheduleAlarm(),
    ]);
  }

  /** Ends a ringing call as declined by a device of the callee. */
  async decline(callee: Caller, callId: string): Promise<void> {
    const row = this.liveRow(callId);
    if (row === undefined || row.state !== "ringing") {
      throw new ApiError("not_found", NOT_RINGING);
    }
    if (row.callee_id !== callee.userId) {
      throw new ApiError("forbidden", "Only the person called can decline.");
    }
    await this.ends.finish(row, {
      outcome: "declined",
      reason: "declined",
      actingDeviceId: callee.deviceId,
    });
  }

  /**
   * Ends the call for a party. An ended or unknown call is ignored, so a
   * repeated hang-up does nothing.
   */
  async hangup(
    party: Caller,
    callId: string,
    reason: "hangup" | "failed",
  ): Promise<void> {
    const row = this.liveRow(callId);
    if (row === undefined) return;
    const isCaller = party.userId === row.caller_id;
    if (!isCaller && party.userId !== row.callee_id) {
      throw new ApiError("forbidden", "You are not in this call.");
    }
    let end: CallEnd;
    if (row.state === "accepted") {
      if (peerDevice(row, party) === undefined) {
        throw new ApiError("forbidden", NOT_IN_CALL);
      }
      end =
        reason === "failed"
          ? { outcome: "failed", reason: "failed" }
          : { outcome: "completed", reason: "hangup" };
    } else if (reason === "failed") {
      end = { outcome: "failed", reason: "failed" };
    } else if (isCaller) {
      end = { outcome: "cancelled", reason: "cancelled" };
    } else {
      // The callee hanging up a ringing call declines it.
      end = {
        outcome: "declined",
        reason: "declined",
        actingDeviceId: party.deviceId,
      };
    }
    await this.ends.finish(row, end);
  }

  /**
   * Relays `call.signal` or `call.media` to the device at the other end
   * of the accepted call, or records a `call.ping`. Only the call's two
   * devices may send them.
   */
  async relay(sender: Caller, frame: CallPeerFrame): Promise<void> {
    const { row, peer } = this.requireInCall(sender, frame.callId);
    let relayed: ServerFrame;
    switch (frame.type) {
      case "call.ping": {
        const party = sender.userId === row.caller_id ? "caller" : "callee";
        this.calls.ping(frame.callId, party, Date.now());
        return;
      }
      case "call.signal":
        relayed = {
          type: "call.signal",
          callId: frame.callId,
          fromDeviceId: sender.deviceId,
          signal: frame.signal,
        };
        break;
      case "call.media":
        relayed = {
          type: "call.media",
          callId: frame.callId,
          userId: sender.userId,
          audio: frame.audio,
          video: frame.video,
        };
        break;
      default:
        assertNever(frame);
    }
    await this.toHub(peer.userId, (hub) =>
      hub.callFrame(peer.deviceId, relayed),
    );
  }

  /**
   * Ends the live call at once when `userId`, whose account was deleted,
   * is in it. An accepted call ends as hung up, a ringing call the person
   * started as cancelled, and a call ringing them as missed, so the other
   * party sees the usual end instead of waiting for a deadline.
   */
  async endForDeletedAccount(userId: string): Promise<void> {
    const row = this.calls.live();
    if (row === undefined) return;
    if (row.caller_id !== userId && row.callee_id !== userId) return;
    let end: CallEnd;
    if (row.state === "accepted") {
      end = { outcome: "completed", reason: "hangup" };
    } else if (row.caller_id === userId) {
      end = { outcome: "cancelled", reason: "cancelled" };
    } else {
      end = { outcome: "missed", reason: "missed" };
    }
    log("call.account_deleted", {
      chatId: this.chatId(),
      callId: row.call_id,
      userId,
    });
    await this.ends.finish(row, end);
  }

  /** Returns whether `callId` is the live call of this chat. */
  isLive(callId: string): boolean {
    return this.liveRow(callId) !== undefined;
  }

  /** Ends the live call once its deadline passed (CallEnds.expire). */
  async onAlarm(): Promise<void> {
    await this.ends.expire(Date.now());
  }

  /**
   * Returns the chat and the person `callerId` may call in it: the other
   * member of a one-to-one chat, when neither blocked the other.
   */
  private requireCallable(callerId: string): {
    chatId: string;
    calleeId: string;
  } {
    const chat = this.store.chat();
    requireMember(this.store, callerId);
    if (chat?.kind !== "direct") {
      throw new ApiError(
        "invalid_request",
        "call.start calls one person in a one-to-one chat; start or join a group's call with groupcall.join.",
        "chatId",
      );
    }
    const calleeId = this.store.memberIds().find((id) => id !== callerId);
    if (calleeId === undefined) {
      const message =
        this.store.deletedMemberIds().length > 0
          ? "This account was deleted, so it can't be called."
          : "This chat has nobody else to call.";
      throw new ApiError("not_found", message);
    }
    if (
      this.typingRelay.isBlockedByOther(callerId) ||
      this.typingRelay.isBlockedByOther(calleeId)
    ) {
      throw new ApiError("forbidden", "You can't call this person.");
    }
    return { chatId: chat.chat_id, calleeId };
  }

  private liveRow(callId: string): CallRow | undefined {
    const row = this.calls.byId(callId);
    return row?.ended_at === null ? row : undefined;
  }

  private requireInCall(
    sender: Caller,
    callId: string,
  ): { row: CallRow; peer: Caller } {
    const row = this.liveRow(callId);
    if (row === undefined) throw new ApiError("not_found", NOT_LIVE);
    const peer = peerDevice(row, sender);
    if (peer === undefined) throw new ApiError("forbidden", NOT_IN_CALL);
    return { row, peer };
  }

  private chatId(): string {
    return this.store.chat()?.chat_id ?? "";
  }

  /** Calls one hub, logging (not raising) a failure. */
  private async toHub(
    userId: string,
    call: (hub: ReturnType<typeof userHub>) => Promise<unknown>,
  ): Promise<void> {
    try {
      await call(userHub(this.env, userId));
    } catch (error) {
      log("call.hub_failed", {
        chatId: this.chatId(),
        userId,
        error: errorMessage(error),
      });
    }
  }
}
