import type {
  CallEndReason,
  CallEvent,
  CallOutcome,
  ServerFrame,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { countEvent } from "../../worker/metrics.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { deadlineOf, type CallRow, type CallStore } from "./call-store.ts";
import type { Fanout } from "./fanout.ts";
import { writeSystem } from "./groups.ts";
import type { RoomStore } from "./store.ts";

/**
 * The outcome and reason of a call's end. `actingDeviceId` names the
 * callee's device that declined, and the callee's other devices get
 * "declined_elsewhere".
 */
export interface CallEnd {
  outcome: CallOutcome;
  reason: CallEndReason;
  actingDeviceId?: string;
}

/** The end of calls: the call entry, the `call.ended` frames and the log. */
export class CallEnds {
  constructor(
    private readonly store: RoomStore,
    private readonly calls: CallStore,
    private readonly fanout: Fanout,
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
  ) {}

  /**
   * Ends the live call when its deadline passed: a ringing call as
   * missed, an accepted one as lost. Then sets the alarm for the next
   * deadline.
   */
  async expire(now: number): Promise<void> {
    const row = this.calls.live();
    if (row !== undefined && deadlineOf(row) <= now) {
      if (row.state === "ringing") {
        await this.finish(row, { outcome: "missed", reason: "missed" });
      } else {
        // The duration runs to now, not to the silent party's last ping:
        // the other party saw the call go on ("Reconnecting…") until now.
        await this.finish(row, { outcome: "completed", reason: "lost" });
      }
    }
    await this.scheduleAlarm();
  }

  /**
   * Sets the room's alarm for the live call's deadline, unless an earlier
   * alarm is set.
   */
  async scheduleAlarm(): Promise<void> {
    const row = this.calls.live();
    if (row === undefined) return;
    const next = deadlineOf(row);
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  /**
   * Ends the live call `row`: marks it ended, writes its call entry as a
   * `system` message sent to both members like every system message, and
   * sends `call.ended` to every device of both parties, whose hubs clear
   * their current call. The duration runs from the accept to now.
   */
  async finish(row: CallRow, end: CallEnd): Promise<void> {
    const now = Date.now();
    const chatId = this.store.chat()?.chat_id ?? "";
    const durationMs =
      row.accepted_at === null ? 0 : Math.max(0, now - row.accepted_at);
    this.calls.end(row.call_id, now);
    const event: CallEvent = {
      event: "call",
      callId: row.call_id,
      callerId: row.caller_id,
      video: row.video === 1,
      outcome: end.outcome,
      durationMs,
      startedAt: row.started_at,
    };
    const entry = writeSystem(this.store, row.caller_id, event, now);
    this.fanout.chatChanged(this.store.memberIds(), [entry]);
    countEvent(this.env, "call.ended", { detail: end.outcome });
    log("call.ended", {
      chatId,
      callId: row.call_id,
      outcome: end.outcome,
      reason: end.reason,
      durationMs,
      accepted: row.accepted_at !== null,
    });
    const frame: Extract<ServerFrame, { type: "call.ended" }> = {
      type: "call.ended",
      callId: row.call_id,
      chatId,
      reason: end.reason,
      outcome: end.outcome,
      durationMs,
    };
    const callee =
      end.actingDeviceId === undefined
        ? undefined
        : {
            deviceId: end.actingDeviceId,
            elsewhere: "declined_elsewhere" as const,
          };
    await Promise.all([
      this.toHub(row.caller_id, chatId, (hub) => hub.callEnded(frame)),
      this.toHub(row.callee_id, chatId, (hub) => hub.callEnded(frame, callee)),
    ]);
  }

  private async toHub(
    userId: string,
    chatId: string,
    call: (hub: ReturnType<typeof userHub>) => Promise<unknown>,
  ): Promise<void> {
    try {
      await call(userHub(this.env, userId));
    } catch (error) {
      log("call.hub_failed", { chatId, userId, error: errorMessage(error) });
    }
  }
}
