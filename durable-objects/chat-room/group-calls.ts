import {
  ApiError,
  type CallPublicKey,
  GROUP_CALL_DROP_MS,
  GROUP_CALL_RECONNECTING_MS,
  GROUP_CALL_RING_MS,
  MAX_GROUP_CALL_PARTICIPANTS,
  type GroupCallEvent,
  type GroupCallInfo,
} from "../../protocol/index.ts";
import type { ClientFrame, ServerFrame } from "../../protocol/index.ts";
import type { RealtimeKitTokenReply } from "../../protocol/realtimekit.ts";
import type { Env } from "../../worker/env.ts";
import { countEvent } from "../../worker/metrics.ts";
import { log } from "../../worker/log.ts";
import {
  groupCallProvider,
  realtimeKitConfig,
} from "../../worker/realtimekit.ts";
import {
  closeSfuSession,
  sfuConfig,
  type SfuConfig,
} from "../../worker/sfu.ts";
import type { Fanout } from "./fanout.ts";
import { GroupCallFanout } from "./group-call-fanout.ts";
import { RoomCallMeetings } from "./group-call-meetings.ts";
import {
  groupCallInfo,
  type DeviceRef,
  type GroupCallRow,
  type GroupCallStore,
  type MediaState,
  type ParticipantRow,
} from "./group-call-store.ts";
import type { RoomStore } from "./store.ts";

/** The client frames that RoomGroupCalls.relayKey relays. */
export type KeyFrame = Extract<
  ClientFrame,
  { type: "groupcall.key" | "groupcall.key.request" }
>;

const NOT_MEMBER = "You are not a member of this chat.";
const NOT_RUNNING = "This group call has ended or does not exist in this chat.";
const NOT_IN_CALL = "This device is not in the call; join it first.";

/**
 * The group call of one group chat (protocol/group-calls.ts). State lives
 * in the room's SQLite tables (chat-room/group-call-store.ts), so an
 * evicted room resumes it, and the silence deadlines run on the room's
 * alarm. Each check and its write happen before the first await, so the
 * input gate orders concurrent frames.
 */
export class RoomGroupCalls {
  private readonly hubs: GroupCallFanout;
  private readonly meetings: RoomCallMeetings;

  constructor(
    private readonly store: RoomStore,
    private readonly calls: GroupCallStore,
    fanout: Fanout,
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
  ) {
    this.hubs = new GroupCallFanout(store, fanout, env);
    this.meetings = new RoomCallMeetings(calls, env, () => this.chatId());
  }

  /**
   * Starts the call when none runs, or adds `device` to the running one
   * (whatever `callId` names). A device already in it keeps its place.
   * `callKey` replaces the device's call key when given.
   */
  async join(
    device: DeviceRef,
    callId: string,
    video: boolean,
    callKey?: CallPublicKey,
  ): Promise<GroupCallInfo> {
    const chatId = this.requireGroupMember(device.userId);
    const now = Date.now();
    let call = this.calls.running();
    const starting = call === undefined;
    if (call === undefined) {
      if (this.calls.byId(callId) !== undefined) {
        throw new ApiError(
          "conflict",
          `Call id ${callId} was already used; make a new one.`,
          "callId",
        );
      }
      // A bad provider setting fails here, at the first call, naming it.
      const provider = groupCallProvider(this.env);
      if (provider === "realtimekit") realtimeKitConfig(this.env);
      this.calls.start(callId, device.userId, video, now, provider);
      call = this.requireRunning(callId);
      log("groupcall.started", { chatId, callId, ...device, video, provider });
      countEvent(this.env, "groupcall.started", {
        detail: video ? "video" : "voice",
      });
    } else if (this.calls.participant(device) === undefined) {
      if (this.calls.participants().length >= MAX_GROUP_CALL_PARTICIPANTS) {
        throw new ApiError(
          "conflict",
          `This call is full: it has ${MAX_GROUP_CALL_PARTICIPANTS} participants, the most one call holds.`,
        );
      }
    }
    this.calls.join(call.call_id, device, video, now, callKey);
    log("groupcall.joined", { chatId, callId: call.call_id, ...device });
    const ring = starting ? this.ringOthers(device.userId, now) : [];
    const stop = starting ? undefined : this.calls.takeRing(device.userId);
    const info = this.info(call);
    await Promise.all([
      this.hubs.state(() => this.runningInfo()),
      this.scheduleAlarm(),
      ...ring.map((userId) => this.ring(userId, info)),
      stop === undefined
        ? undefined
        : this.hubs.stopRinging(
            device.userId,
            chatId,
            call.call_id,
            stop.pushed === 1,
          ),
    ]);
    return info;
  }

  /** Removes `device` from the call. The last device out ends it. */
  async leave(device: DeviceRef, callId: string): Promise<void> {
    const call = this.calls.running();
    if (call?.call_id !== callId) return;
    if (this.calls.remove([device]) === 0) return;
    log("groupcall.left", { chatId: this.chatId(), callId, ...device });
    await this.afterRemoval(call, Date.now());
  }

  /** Stops the ringing of every device of `userId` for the call. */
  async decline(userId: string, callId: string): Promise<void> {
    this.requireGroupMember(userId);
    const call = this.calls.running();
    if (call?.call_id !== callId) throw new ApiError("not_found", NOT_RUNNING);
    const ring = this.calls.takeRing(userId);
    log("groupcall.declined", { chatId: this.chatId(), callId, userId });
    const pushed = ring?.pushed === 1;
    await this.hubs.stopRinging(userId, this.chatId(), callId, pushed);
  }

  /** Stores the session, tracks and media state `device` announced. */
  async update(
    device: DeviceRef,
    callId: string,
    state: MediaState,
  ): Promise<void> {
    const row = this.requireParticipant(device, callId);
    if (state.sessionId !== null && state.sessionId !== row.sfu_session_id) {
      throw new ApiError(
        "forbidden",
        "sessionId is not the SFU session this device opened for the call.",
        "sessionId",
      );
    }
    this.calls.update(device, state);
    this.calls.ping(device, Date.now());
    await this.hubs.state(() => this.runningInfo());
  }

  /**
   * Relays a sealed media key (`groupcall.key`) or a request to resend
   * one (`groupcall.key.request`) from `device` to the participant device
   * `toDeviceId`. Both must be participants of the running call `callId`,
   * so a device that left gets no key of those who stayed.
   */
  async relayKey(device: DeviceRef, frame: KeyFrame): Promise<void> {
    this.requireParticipant(device, frame.callId);
    if (frame.toDeviceId === device.deviceId) {
      throw new ApiError(
        "invalid_request",
        "toDeviceId is this device; send call keys to the other participants.",
        "toDeviceId",
      );
    }
    const recipient = this.calls.participantByDevice(frame.toDeviceId);
    if (recipient === undefined) {
      throw new ApiError(
        "not_found",
        `Device ${frame.toDeviceId} is not in this call; send keys only to its current participants.`,
        "toDeviceId",
      );
    }
    const relayed: ServerFrame =
      frame.type === "groupcall.key"
        ? {
            type: "groupcall.key",
            callId: frame.callId,
            fromDeviceId: device.deviceId,
            kid: frame.kid,
            epoch: frame.epoch,
            sealed: frame.sealed,
          }
        : {
            type: "groupcall.key.request",
            callId: frame.callId,
            fromDeviceId: device.deviceId,
          };
    await this.hubs.toDevice(recipient.user_id, recipient.device_id, relayed);
  }

  /** Records that `device` is alive, which ends its reconnecting state. */
  async ping(device: DeviceRef, callId: string): Promise<void> {
    this.requireParticipant(device, callId);
    if (this.calls.ping(device, Date.now())) {
      await this.hubs.state(() => this.runningInfo());
    }
  }

  /**
   * Marks devices silent for GROUP_CALL_RECONNECTING_MS as reconnecting,
   * removes those silent for GROUP_CALL_DROP_MS, stops rings older than
   * GROUP_CALL_RING_MS, then sets the alarm for the next deadline.
   */
  async onAlarm(): Promise<void> {
    const call = this.calls.running();
    if (call === undefined) return;
    const now = Date.now();
    const dropped = this.calls.silentSince(now - GROUP_CALL_DROP_MS);
    this.calls.remove(dropped);
    const marked = this.calls.markReconnecting(
      now - GROUP_CALL_RECONNECTING_MS,
    );
    for (const device of dropped) {
      log("groupcall.dropped", {
        chatId: this.chatId(),
        callId: call.call_id,
        ...device,
      });
    }
    const expired = this.calls.takeExpiredRings(now);
    await Promise.all(
      expired.map((ring) =>
        this.hubs.stopRinging(
          ring.user_id,
          this.chatId(),
          ring.call_id,
          ring.pushed === 1,
        ),
      ),
    );
    if (dropped.length > 0) await this.afterRemoval(call, now);
    else if (marked > 0) await this.hubs.state(() => this.runningInfo());
    await this.scheduleAlarm();
  }

  /**
   * Drops the devices of people who are no longer members, and sends the
   * call to the members, so people just added see it too. The people who
   * left get `groupcall.ended`, and the SFU sessions of their devices are
   * closed.
   */
  async membersChanged(departed: string[]): Promise<void> {
    const call = this.calls.running();
    if (call === undefined) return;
    const sessions = this.calls
      .participants()
      .filter((row) => departed.includes(row.user_id));
    let removed = 0;
    for (const userId of departed) {
      removed += this.calls.removePerson(userId);
      this.calls.takeRing(userId);
    }
    const chatId = this.chatId();
    await Promise.all([
      removed > 0
        ? this.afterRemoval(call, Date.now())
        : this.hubs.state(() => this.runningInfo()),
      ...departed.map((userId) => this.hubs.removed(userId, chatId, call)),
      ...sessions.map((row) =>
        call.provider === "sfu"
          ? this.cutOff(row)
          : this.meetings.cutOff(call, row),
      ),
    ]);
  }

  /**
   * Checks what the SFU proxy may do for `device`: it is in the running
   * call `callId`, `sessionId` (when given) is its own SFU session, and
   * every session it pulls from belongs to a participant of the call.
   */
  checkSfuAccess(
    device: DeviceRef,
    callId: string,
    sessionId: string | null,
    remoteSessionIds: string[],
  ): void {
    const row = this.requireParticipant(device, callId);
    if (this.calls.running()?.provider !== "sfu") {
      throw new ApiError(
        "conflict",
        "This call runs on RealtimeKit, not the SFU; rejoin it.",
      );
    }
    if (sessionId !== null && sessionId !== row.sfu_session_id) {
      throw new ApiError(
        "forbidden",
        "This SFU session belongs to another device or call.",
        "sessionId",
      );
    }
    for (const remote of remoteSessionIds) {
      if (!this.calls.hasSfuSession(remote)) {
        throw new ApiError(
          "forbidden",
          `Session ${remote} is not in this call; pull only tracks of its participants.`,
          "tracks.sessionId",
        );
      }
    }
  }

  /**
   * Returns a RealtimeKit auth token for `device`, which must be in the
   * running call `callId`, and that call must run on RealtimeKit.
   */
  async realtimeKitToken(
    device: DeviceRef,
    callId: string,
  ): Promise<RealtimeKitTokenReply> {
    this.requireParticipant(device, callId);
    const call = this.requireRunning(callId);
    if (call.provider !== "realtimekit") {
      throw new ApiError(
        "conflict",
        "This call runs on the SFU, not RealtimeKit; rejoin it.",
      );
    }
    return this.meetings.token(device, call, () =>
      this.requireParticipant(device, callId),
    );
  }

  /** Records the SFU session the proxy created for `device`. */
  recordSfuSession(device: DeviceRef, callId: string, sessionId: string) {
    this.requireParticipant(device, callId);
    this.calls.setSfuSession(device, sessionId);
    log("groupcall.session", { chatId: this.chatId(), callId, ...device });
  }

  /**
   * Sets the room's alarm for the next silence or ring deadline, unless
   * an earlier alarm is set.
   */
  async scheduleAlarm(): Promise<void> {
    if (this.calls.running() === undefined) return;
    const alive = this.calls.oldestPing(false);
    const silent = this.calls.oldestPing(true);
    const deadlines = [
      alive === undefined ? Infinity : alive + GROUP_CALL_RECONNECTING_MS,
      silent === undefined ? Infinity : silent + GROUP_CALL_DROP_MS,
      ...this.calls.rings().map((ring) => ring.until),
    ];
    const next = Math.min(...deadlines);
    if (next === Infinity) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  /**
   * Closes the SFU session of a removed device's row. The proxy rejects
   * that device's next request, but the SFU would keep forwarding the
   * tracks its session already pulls until the device closes it.
   */
  private async cutOff(row: ParticipantRow): Promise<void> {
    if (row.sfu_session_id === null) return;
    let config: SfuConfig;
    try {
      config = sfuConfig(this.env);
    } catch {
      // Without SFU configuration no session can exist.
      return;
    }
    await closeSfuSession(config, row.sfu_session_id, {
      chatId: this.chatId(),
      callId: row.call_id,
      userId: row.user_id,
      deviceId: row.device_id,
    });
  }

  /** Ends the call when no participant is left, else sends the new state. */
  private async afterRemoval(call: GroupCallRow, now: number): Promise<void> {
    if (this.calls.participants().length > 0) {
      await this.hubs.state(() => this.runningInfo());
      return;
    }
    const rings = this.calls.rings();
    this.calls.end(call.call_id, now);
    const event: GroupCallEvent = {
      event: "group_call",
      callId: call.call_id,
      startedBy: call.started_by,
      video: call.video === 1,
      startedAt: call.started_at,
      durationMs: Math.max(0, now - call.started_at),
      participantIds: JSON.parse(call.taken_part) as string[],
    };
    const chatId = this.chatId();
    log("groupcall.ended", {
      chatId,
      callId: call.call_id,
      durationMs: event.durationMs,
      people: event.participantIds.length,
    });
    countEvent(this.env, "groupcall.ended");
    await Promise.all([
      this.hubs.ended(event, chatId, now),
      this.meetings.end(call),
      ...rings.map((ring) =>
        this.hubs.stopRinging(
          ring.user_id,
          chatId,
          ring.call_id,
          ring.pushed === 1,
        ),
      ),
    ]);
  }

  /** Records a ring for every other member and returns their ids. */
  private ringOthers(starterId: string, now: number): string[] {
    const call = this.calls.running();
    if (call === undefined) return [];
    const others = this.store.memberIds().filter((id) => id !== starterId);
    for (const userId of others) {
      this.calls.addRing(call.call_id, userId, false, now + GROUP_CALL_RING_MS);
    }
    return others;
  }

  private async ring(userId: string, call: GroupCallInfo): Promise<void> {
    const pushed = await this.hubs.ring(userId, call);
    if (pushed) this.calls.markRingPushed(userId, call.callId);
  }

  /** Returns the chat id when `userId` is a member of this group. */
  private requireGroupMember(userId: string): string {
    const chat = this.store.chat();
    if (chat === undefined || !this.store.isMember(userId)) {
      throw new ApiError("not_found", NOT_MEMBER, "chatId");
    }
    if (chat.kind !== "group") {
      throw new ApiError(
        "invalid_request",
        "Group calls run only in group chats; call one person with a one-to-one call.",
        "chatId",
      );
    }
    return chat.chat_id;
  }

  private requireRunning(callId: string): GroupCallRow {
    const call = this.calls.running();
    if (call?.call_id !== callId) throw new ApiError("not_found", NOT_RUNNING);
    return call;
  }

  private requireParticipant(device: DeviceRef, callId: string) {
    if (!this.store.isMember(device.userId)) {
      throw new ApiError("not_found", NOT_MEMBER, "chatId");
    }
    this.requireRunning(callId);
    const row = this.calls.participant(device);
    if (row === undefined) throw new ApiError("not_found", NOT_IN_CALL);
    return row;
  }

  private runningInfo(): GroupCallInfo | undefined {
    const call = this.calls.running();
    return call === undefined ? undefined : this.info(call);
  }

  private info(call: GroupCallRow): GroupCallInfo {
    return groupCallInfo(call, this.chatId(), this.calls.participants());
  }

  private chatId(): string {
    return this.store.chat()?.chat_id ?? "";
  }
}
