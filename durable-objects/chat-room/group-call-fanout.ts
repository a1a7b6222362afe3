import type {
  GroupCallEvent,
  GroupCallInfo,
  ServerFrame,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import type { GroupCallSummary } from "../user-hub/group-calls.ts";
import type { Fanout } from "./fanout.ts";
import type { GroupCallRow } from "./group-call-store.ts";
import { writeSystem } from "./groups.ts";
import type { RoomStore } from "./store.ts";

type HubStub = ReturnType<typeof userHub>;

/** Returns the chat list's view of a running call. */
export function summaryOf(call: GroupCallInfo): GroupCallSummary {
  return {
    callId: call.callId,
    video: call.video,
    participants: call.participants.length,
  };
}

/**
 * Sends a group call's changes to the members' UserHubs. State frames
 * leave one change at a time, and each reads the state when it leaves,
 * so a hub never receives an older state after a newer one.
 */
export class GroupCallFanout {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RoomStore,
    private readonly fanout: Fanout,
    private readonly env: Env,
  ) {}

  /**
   * Sends `groupcall.state` of the call `read` returns (or `groupcall.ended`
   * when it returns an end) to every device of every member, and stores
   * the call in each member's chat list.
   */
  state(read: () => GroupCallInfo | undefined): Promise<void> {
    const next = this.queue.then(async () => {
      const call = read();
      if (call === undefined) return;
      const frame: ServerFrame = { type: "groupcall.state", call };
      await this.toMembers((hub) =>
        hub.groupCallChanged(call.chatId, summaryOf(call), frame),
      );
    });
    this.queue = next;
    return next;
  }

  /**
   * Writes the call's entry as a `system` message, sent like every system
   * message, and sends `groupcall.ended` to every member, whose chat
   * lists drop the call.
   */
  ended(event: GroupCallEvent, chatId: string, now: number): Promise<void> {
    const entry = writeSystem(this.store, event.startedBy, event, now);
    this.fanout.chatChanged(this.store.memberIds(), [entry]);
    const frame: ServerFrame = {
      type: "groupcall.ended",
      callId: event.callId,
      chatId,
      durationMs: event.durationMs,
    };
    const next = this.queue.then(() =>
      this.toMembers((hub) => hub.groupCallChanged(chatId, null, frame)),
    );
    this.queue = next;
    return next;
  }

  /**
   * Sends `groupcall.ended` to a person who is no longer a member, so
   * that their devices leave the call and their chat list drops it.
   */
  async removed(userId: string, chatId: string, call: GroupCallRow) {
    const frame: ServerFrame = {
      type: "groupcall.ended",
      callId: call.call_id,
      chatId,
      durationMs: Math.max(0, Date.now() - call.started_at),
    };
    try {
      await userHub(this.env, userId).groupCallChanged(chatId, null, frame);
    } catch (error) {
      this.failed(userId, error);
    }
  }

  /** Sends `frame` to one device of a member. */
  async toDevice(userId: string, deviceId: string, frame: ServerFrame) {
    try {
      await userHub(this.env, userId).callFrame(deviceId, frame);
    } catch (error) {
      this.failed(userId, error);
    }
  }

  /** Rings a member and returns true when a `call` push went out instead. */
  async ring(userId: string, call: GroupCallInfo): Promise<boolean> {
    try {
      return await userHub(this.env, userId).groupCallRing(call);
    } catch (error) {
      this.failed(userId, error);
      return false;
    }
  }

  /**
   * Stops a member's devices ringing, with a `call.end` push when a
   * `call` push went out.
   */
  async stopRinging(
    userId: string,
    chatId: string,
    callId: string,
    pushed: boolean,
  ): Promise<void> {
    try {
      await userHub(this.env, userId).groupCallRingStopped(
        chatId,
        callId,
        pushed,
      );
    } catch (error) {
      this.failed(userId, error);
    }
  }

  private async toMembers(
    call: (hub: HubStub) => Promise<unknown>,
  ): Promise<void> {
    await Promise.all(
      this.store.memberIds().map(async (userId) => {
        try {
          await call(userHub(this.env, userId));
        } catch (error) {
          this.failed(userId, error);
        }
      }),
    );
  }

  private failed(userId: string, error: unknown): void {
    log("groupcall.hub_failed", {
      chatId: this.store.chat()?.chat_id,
      userId,
      error: errorMessage(error),
    });
  }
}
