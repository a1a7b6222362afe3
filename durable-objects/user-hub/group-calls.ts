import type {
  ChatSummary,
  GroupCallInfo,
  ServerFrame,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import type { Notifier } from "./notifications.ts";
import type { DeviceSockets } from "./sockets.ts";
import type { HubStore } from "./store.ts";

/** A running group call as the chat list shows it. */
export type GroupCallSummary = NonNullable<ChatSummary["groupCall"]>;

/**
 * The group calls of one person, on their UserHub: the running call of
 * each chat in the chat list, ringing, and the `call` and `call.end`
 * pushes. The ChatRoom keeps the calls themselves.
 */
export class HubGroupCalls {
  constructor(
    private readonly store: HubStore,
    private readonly sockets: DeviceSockets,
    private readonly notifier: Notifier,
  ) {}

  /**
   * Stores a chat's running call (null once it ended) in its chat list
   * row and sends `frame` to every device.
   */
  changed(
    chatId: string,
    summary: GroupCallSummary | null,
    frame: ServerFrame,
  ): void {
    this.store.setGroupCall(chatId, summary);
    this.sockets.broadcast(frame);
  }

  /**
   * Rings every live device with `groupcall.ring`, or sends a `call` push
   * when none is connected. Returns true when a push went out.
   */
  ring(call: GroupCallInfo): boolean {
    const live = this.sockets.liveDeviceIds(Date.now());
    for (const deviceId of live) {
      this.sockets.sendToDevice(deviceId, { type: "groupcall.ring", call });
    }
    if (live.length > 0) return false;
    const pushed = this.notifier.callChanged({
      v: 1,
      type: "call",
      chatId: call.chatId,
      callId: call.callId,
      callerId: call.startedBy,
      video: call.video,
      ts: call.startedAt,
    });
    log("groupcall.ring_pushed", { callId: call.callId, devices: pushed });
    return pushed > 0;
  }

  /**
   * Tells every device to stop ringing, and closes the notification of
   * the `call` push when one went out.
   */
  ringStopped(chatId: string, callId: string, pushed: boolean): void {
    this.sockets.broadcast({ type: "groupcall.ring.stopped", callId, chatId });
    if (pushed) {
      this.notifier.callChanged({ v: 1, type: "call.end", chatId, callId });
    }
  }
}
