import type { StoredMessage } from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { countEvent } from "../../worker/metrics.ts";
import type { DeliveryMark } from "./delivery-mark.ts";

/**
 * Max messages per `UserHub.deliver` call. Bodies are at most
 * MAX_BODY_BYTES (256 KiB), so one call carries at most 8 MiB of bodies.
 * NOTE: the Workers RPC size limit for one call was not checked here.
 */
export const MAX_DELIVERY_BATCH = 32;

/** Calls of one batch before it is dropped and logged. */
export const MAX_DELIVERY_ATTEMPTS = 3;

/** Wait before the second attempt, doubled for each further one, in ms. */
export const DELIVERY_RETRY_MS = 100;

interface HubQueue {
  pending: StoredMessage[];
  /** True while a `deliver` call to this hub is in flight. */
  busy: boolean;
  /** First seq of the batch in flight, or 0. */
  sendingSeq: number;
}

/**
 * Live message delivery from one room to its members' hubs, with at most
 * one call in flight per hub. Messages that arrive during a hub's call
 * wait in its queue and leave together in the next call. So a burst costs
 * a few calls instead of one per message, and each hub gets its messages
 * in sequence order.
 *
 * A failed call is retried with the same messages first, in order. The
 * hub skips any message of the retried batch that it recorded before the
 * failure (see `Inbox.deliverFromRoom`), so nothing is shown twice. After
 * MAX_DELIVERY_ATTEMPTS the batch is logged and dropped, and the person's
 * devices get those messages from the log when they next sync.
 *
 * A room that restarts with queued messages loses them from memory, so
 * it queues every message above the delivery mark again (`Fanout.resume`),
 * and hubs skip the ones they already recorded. The mark moves only when
 * the room's alarm runs (`checkMark`), at most DELIVERY_CHECK_MS after a
 * delivery was queued, so a message costs no extra row write.
 */
export class HubDeliveries {
  private readonly queues = new Map<string, HubQueue>();
  /**
   * Hub stubs by user id, kept for the life of the room object, because
   * deriving the id and building the stub for every member on every
   * message showed up in profiles of the fan-out.
   */
  private readonly hubs = new Map<string, ReturnType<typeof userHub>>();
  /** Highest seq queued since the object started. */
  private queuedSeq = 0;

  constructor(
    private readonly env: Env,
    private readonly mark: DeliveryMark,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /** Queues `message` for each hub in `userIds` and starts idle hubs. */
  enqueue(userIds: string[], message: StoredMessage): void {
    this.queuedSeq = Math.max(this.queuedSeq, message.seq);
    for (const userId of userIds) {
      let queue = this.queues.get(userId);
      if (queue === undefined) {
        queue = { pending: [], busy: false, sendingSeq: 0 };
        this.queues.set(userId, queue);
      }
      queue.pending.push(message);
      if (this.queues.size === 1 && !queue.busy) {
        this.waitUntil(this.mark.armCheck());
      }
      if (!queue.busy) {
        queue.busy = true;
        this.waitUntil(this.drain(userId, queue));
      }
    }
  }

  /**
   * Counts messages that reached the hubs another way (with a chat row)
   * as delivered, so a restart does not queue them again. Hubs could not
   * skip them, because a chat row does not move their delivery position.
   * NOTE: while other deliveries are queued, the mark stays below them.
   * A restart at that moment sends these messages twice, which clients
   * absorb because they store messages by id.
   */
  sentElsewhere(messages: StoredMessage[]): void {
    for (const message of messages) {
      this.queuedSeq = Math.max(this.queuedSeq, message.seq);
    }
    if (messages.length > 0) this.advanceMark();
  }

  /**
   * Moves the delivery mark from the room's alarm, and sets the alarm
   * again while deliveries are still queued.
   */
  async checkMark(): Promise<void> {
    this.advanceMark();
    if (this.queues.size > 0) await this.mark.armCheck();
  }

  /** Sends the queue of one hub in batches until it is empty. */
  private async drain(userId: string, queue: HubQueue): Promise<void> {
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0, MAX_DELIVERY_BATCH);
        queue.sendingSeq = batch[0]?.seq ?? 0;
        await this.deliverBatch(userId, batch);
        queue.sendingSeq = 0;
      }
    } finally {
      queue.busy = false;
      queue.sendingSeq = 0;
      if (queue.pending.length === 0) this.queues.delete(userId);
    }
  }

  /** Moves the delivery mark below the lowest seq any hub still waits for. */
  private advanceMark(): void {
    let open = Number.POSITIVE_INFINITY;
    for (const queue of this.queues.values()) {
      if (queue.sendingSeq > 0) open = Math.min(open, queue.sendingSeq);
      const next = queue.pending[0]?.seq;
      if (next !== undefined) open = Math.min(open, next);
    }
    this.mark.advance(Number.isFinite(open) ? open - 1 : this.queuedSeq);
  }

  private hub(userId: string): ReturnType<typeof userHub> {
    let stub = this.hubs.get(userId);
    if (stub === undefined) {
      stub = userHub(this.env, userId);
      this.hubs.set(userId, stub);
    }
    return stub;
  }

  /** Calls the hub with `batch`, and retries, or logs and drops it. */
  private async deliverBatch(
    userId: string,
    batch: StoredMessage[],
  ): Promise<void> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    const ids = {
      chatId: first?.chatId,
      userId,
      firstSeq: first?.seq,
      lastSeq: last?.seq,
      count: batch.length,
    };
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.hub(userId).deliver(batch);
        countEvent(this.env, "message.delivered", { amount: batch.length });
        return;
      } catch (error) {
        const reason = errorMessage(error);
        if (attempt >= MAX_DELIVERY_ATTEMPTS) {
          log("chat.fanout_failed", { ...ids, kind: "message", error: reason });
          countEvent(this.env, "message.delivery_failed", {
            amount: batch.length,
          });
          return;
        }
        log("chat.delivery_retry", { ...ids, attempt, error: reason });
        const delay = DELIVERY_RETRY_MS * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
