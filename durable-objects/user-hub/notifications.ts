import {
  CALL_RING_TIMEOUT_MS,
  type PushPayload,
  type StoredMessage,
} from "../../protocol/index.ts";
import { sha256Base64url } from "../../worker/crypto.ts";
import type { Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { readVapidKeys } from "../../worker/vapid.ts";
import { PushSender, type PushOptions } from "./push-sender.ts";
import type { PushStore, StoredSubscription } from "./push-store.ts";
import type { DeviceSockets } from "./sockets.ts";
import type { HubStore } from "./store.ts";

/**
 * Decides which of one person's devices get a Web Push, and sends it in
 * the background. A push goes only to subscribed devices without a live
 * socket; devices with a socket get frames instead.
 */
export class Notifier {
  private readonly sender: PushSender;
  /** Set once "push.unavailable" was logged, so it is logged once. */
  private reportedUnavailable = false;

  constructor(
    private readonly env: Env,
    private readonly store: HubStore,
    private readonly pushStore: PushStore,
    private readonly sockets: DeviceSockets,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {
    this.sender = new PushSender(env, pushStore);
  }

  /**
   * Sends a `message` push for the newest message from someone else among
   * `messages`, just recorded in the chat's row. Nothing is sent for a
   * left or muted chat, or while a live device of this person has the
   * chat open.
   */
  messagesRecorded(chatId: string, messages: StoredMessage[]): void {
    const myId = this.store.me()?.id;
    const newest = messages.findLast(
      (m) => m.kind === "message" && m.senderId !== myId && !m.deleted,
    );
    if (newest === undefined) return;
    const now = Date.now();
    const live = new Set(this.sockets.liveDeviceIds(now));
    // Devices with a live socket already got the frame. Checking for
    // others first, from the cached subscriptions, skips reading the
    // chat row on every delivery to a person whose devices are connected.
    const targets = this.targets(live, now);
    if (targets.length === 0) return;
    const chat = this.store.chat(chatId);
    if (chat === undefined || chat.left || chat.mutedUntil > now) return;
    if (this.isViewedLive(chatId, live)) return;

    const payload: PushPayload = {
      v: 1,
      type: "message",
      chatId,
      id: newest.id,
      seq: newest.seq,
      senderId: newest.senderId,
      ts: newest.ts,
      unread: chat.unread,
    };
    if (newest.preview !== undefined) payload.preview = newest.preview;
    this.pushStore.setPushedSeq(chatId, newest.seq);
    this.sendAll(targets, payload, "high", true);
  }

  /** Returns whether a device in `live` has `chatId` open. */
  private isViewedLive(chatId: string, live: Set<string>): boolean {
    return this.sockets
      .open()
      .some(
        ({ attachment }) =>
          attachment.viewChatId === chatId && live.has(attachment.deviceId),
      );
  }

  /**
   * Sends a `read` push after this person's read position in a chat moved
   * from `previousReadSeq` to `readSeq`, when a message push of the chat
   * went out after the previous position. `readerDeviceId`, the device
   * that read, gets none.
   */
  chatRead(
    chatId: string,
    previousReadSeq: number,
    readSeq: number,
    readerDeviceId: string,
  ): void {
    if (readSeq <= previousReadSeq) return;
    const pushedSeq = this.pushStore.pushedSeq(chatId);
    if (pushedSeq <= previousReadSeq) return;
    const now = Date.now();
    const live = new Set(this.sockets.liveDeviceIds(now));
    live.add(readerDeviceId);
    const targets = this.targets(live, now);
    if (targets.length === 0) return;
    // A read short of the newest pushed message goes without the chat's
    // Topic, because the push service would replace that message's
    // undelivered push with it, and the message would never be shown.
    const payload: PushPayload = { v: 1, type: "read", chatId, readSeq };
    this.sendAll(targets, payload, "normal", readSeq >= pushedSeq);
  }

  /**
   * Sends a `deleted` push when the message of the chat's newest message
   * push was deleted for everyone while unread, so devices close the
   * notification that may show its preview. It carries the chat's Topic,
   * so a push service drops the message's push if still undelivered.
   */
  messageDeleted(chatId: string, seq: number, id: string): void {
    if (this.pushStore.pushedSeq(chatId) !== seq) return;
    const chat = this.store.chat(chatId);
    if (chat === undefined || chat.readSeq >= seq) return;
    const now = Date.now();
    const targets = this.targets(new Set(this.sockets.liveDeviceIds(now)), now);
    if (targets.length === 0) return;
    const payload: PushPayload = { v: 1, type: "deleted", chatId, id, seq };
    this.sendAll(targets, payload, "normal", true);
  }

  /**
   * Sends a `call` or `call.end` push to the subscribed devices without a
   * live socket and returns how many there were. The push lives only as
   * long as the call rings, because a call shown later cannot be
   * answered, and it carries no Topic, which would replace the chat's
   * message push.
   */
  callChanged(
    payload: Extract<PushPayload, { type: "call" | "call.end" }>,
  ): number {
    const now = Date.now();
    const targets = this.targets(new Set(this.sockets.liveDeviceIds(now)), now);
    if (targets.length === 0) return 0;
    const ttl = Math.ceil(CALL_RING_TIMEOUT_MS / 1000);
    // A `call.end` must outlive an undelivered `call` push, so it keeps
    // the default TTL and can still close that notification.
    this.sendAll(targets, payload, "high", false, {
      ttl: payload.type === "call" ? ttl : undefined,
    });
    return targets.length;
  }

  /**
   * Returns the subscriptions of devices outside `live`, deleting those
   * whose own expiration time has passed.
   */
  private targets(live: Set<string>, now: number): StoredSubscription[] {
    const targets: StoredSubscription[] = [];
    for (const subscription of this.pushStore.subscriptions()) {
      if (live.has(subscription.deviceId)) continue;
      const expiresAt = subscription.expirationTime;
      if (expiresAt !== null && expiresAt <= now) {
        this.pushStore.deleteExpired(
          subscription.deviceId,
          subscription.endpoint,
        );
        log("push.subscription_expired", {
          deviceId: subscription.deviceId,
          origin: new URL(subscription.endpoint).origin,
          expiresAt,
        });
        continue;
      }
      targets.push(subscription);
    }
    return targets;
  }

  /**
   * Sends one payload to every target in the background. With
   * `withTopic`, the push carries the chat's Topic header, so the push
   * service replaces an undelivered earlier push of the chat with it
   * (RFC 8030, section 5.4).
   */
  private sendAll(
    targets: StoredSubscription[],
    payload: PushPayload,
    urgency: PushOptions["urgency"],
    withTopic: boolean,
    extra: Pick<PushOptions, "ttl"> = {},
  ): void {
    const vapid = readVapidKeys(this.env);
    if ("error" in vapid) {
      if (!this.reportedUnavailable) {
        this.reportedUnavailable = true;
        log("push.unavailable", { error: vapid.error });
      }
      return;
    }
    const work = async () => {
      // Topic is at most 32 base64url characters, so the chat id is hashed.
      const topic = withTopic
        ? await sha256Base64url(payload.chatId, 32)
        : undefined;
      await Promise.all(
        targets.map((subscription) =>
          this.sender.send(vapid.keys, subscription, payload, {
            topic,
            urgency,
            ttl: extra.ttl,
          }),
        ),
      );
    };
    this.waitUntil(
      work().catch((error: unknown) => {
        log("push.send_failed", {
          chatId: payload.chatId,
          error: errorMessage(error),
        });
      }),
    );
  }
}
