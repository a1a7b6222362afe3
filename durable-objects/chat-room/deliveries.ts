import type { StoredMessage } from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { countEvent } from "../../worker/metrics.ts";

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
 */
export class HubDeliveries {
  private readonly queues = new Map<string, HubQueue>();
  /**
   * Hub stubs by user id, kept for the life of the room object, because
   * deriving the id and building the stub for every member on every
   * message showed up in profiles of the fan-out.
   */
  private readonly hubs = new Map<string, ReturnType<typeof userHub>>();

  constructor(
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /** Queues `message` for each hub in `userIds` and starts idle hubs. */
  enqueue(userIds: string[], message: StoredMessage): void {
    for (const userId of userIds) {
      let queue = this.queues.get(userId);
      if (queue === undefined) {
        queue = { pending: [], busy: false };
        this.queues.set(userId, queue);
      }
      queue.pending.push(message);
      if (!queue.busy) {
        queue.busy = true;
        this.waitUntil(this.drain(userId, queue));
      }
    }
  }

  /** Sends the queue of one hub in batches until it is empty. */
  private async drain(userId: string, queue: HubQueue): Promise<void> {
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0, MAX_DELIVERY_BATCH);
        await this.deliverBatch(userId, batch);
      }
    } finally {
      queue.busy = false;
      if (queue.pending.length === 0) this.queues.delete(userId);
    }
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
