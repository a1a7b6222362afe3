import type { ServerFrame } from "../../protocol/index.ts";
import type { Env } from "../../worker/env.ts";
import { countEvent } from "../../worker/metrics.ts";
import { log } from "../../worker/log.ts";
import type { HubCalls } from "./calls.ts";
import type { FrameContext } from "./frames.ts";
import type { HistoryTransfers } from "./history.ts";
import type { Inbox } from "./inbox.ts";
import type { KeyDirectory } from "./keys.ts";
import type { Notifier } from "./notifications.ts";
import type { PresenceKeeper } from "./presence.ts";
import type { RoomSends } from "./room-sends.ts";
import {
  heartbeatFor,
  readAttachment,
  send,
  sendReply,
  type DeviceSockets,
} from "./sockets.ts";
import { acknowledge } from "./flow.ts";
import type { HubStore } from "./store.ts";

/**
 * Socket handling of one UserHub: accepting a WebSocket, building the
 * context each incoming frame runs with, and updating presence when a
 * socket closes or fails.
 */
export class Connections {
  constructor(
    private readonly env: Env,
    private readonly store: HubStore,
    private readonly sockets: DeviceSockets,
    private readonly keeper: PresenceKeeper,
    private readonly inbox: Inbox,
    private readonly roomSends: RoomSends,
    /** Takes a send token for a device, as `SendBudget.take` does. */
    private readonly takeSendToken: (deviceId: string) => number,
    private readonly keys: KeyDirectory,
    private readonly notifier: Notifier,
    private readonly history: HistoryTransfers,
    private readonly calls: HubCalls,
  ) {}

  /** Accepts a WebSocket the Worker already authenticated. */
  async accept(request: Request): Promise<Response> {
    const deviceId = request.headers.get("X-Device-Id") ?? "";
    const me = this.store.me();
    if (me === undefined || this.store.device(deviceId) === undefined) {
      return new Response("unknown device", { status: 401 });
    }
    const pair = new WebSocketPair();
    const server = pair[1];
    const now = Date.now();
    await this.sockets.accept(server, deviceId, now);
    send(server, {
      type: "ready",
      userId: me.id,
      deviceId,
      serverTime: now,
      heartbeatMs: heartbeatFor(this.sockets.idleLimitMs),
    });
    const keysLow = this.keys.lowFrame(deviceId);
    if (keysLow !== undefined) send(server, keysLow);
    for (const frame of await this.history.requestsFor(deviceId, now)) {
      send(server, frame);
    }
    await this.keeper.refresh(now);
    await this.calls.ringDevice(deviceId, (frame) => send(server, frame));
    log("socket.opened", { userId: me.id, deviceId });
    countEvent(this.env, "socket.opened");
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Updates presence after `ws` closed or failed. */
  async socketGone(
    ws: WebSocket,
    attachment: ReturnType<typeof readAttachment>,
  ): Promise<void> {
    if (this.store.me() === undefined) return;
    const gone = attachment === undefined ? [] : [attachment];
    await this.keeper.socketsGone(gone, Date.now(), ws);
  }

  private broadcast(frame: ServerFrame): void {
    this.sockets.broadcast(frame);
  }

  /** Builds the context that the frame handlers of `ws` run with. */
  frameContext(ws: WebSocket, userId: string, deviceId: string): FrameContext {
    return {
      env: this.env,
      store: this.store,
      notifier: this.notifier,
      calls: this.calls,
      userId,
      deviceId,
      reply: (frame) => sendReply(ws, frame),
      acknowledge: (chars) => acknowledge(ws, chars),
      setView: async (view) => {
        const attachment = readAttachment(ws);
        if (attachment === undefined) return;
        await this.keeper.setView(ws, attachment, view, Date.now());
      },
      setTyping: (chatId, state) => {
        const attachment = readAttachment(ws);
        if (attachment === undefined) return;
        this.keeper.setTyping(ws, attachment, chatId, state);
      },
      broadcast: (frame) => this.broadcast(frame),
      deliver: (message) => this.inbox.deliver(message),
      sendToRoom: (chatId, message) =>
        this.roomSends.send(chatId, userId, deviceId, message),
      takeSendToken: () => this.takeSendToken(deviceId),
      sharesRead: () => this.store.me()?.settings.readReceipts ?? true,
    };
  }
}
