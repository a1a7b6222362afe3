import type { OutgoingMessage } from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import type { Result } from "../../worker/result.ts";
import type { SendResult } from "../chat-room/types.ts";

/**
 * Max sends per `ChatRoom.sendBatch` call. Bodies are at most
 * MAX_BODY_BYTES (256 KiB), so one call carries at most 8 MiB of bodies.
 */
export const MAX_SEND_BATCH = 32;

interface QueuedSend {
  deviceId: string;
  message: OutgoingMessage;
  resolve: (result: Result<SendResult>) => void;
  reject: (error: unknown) => void;
}

interface ChatQueue {
  pending: QueuedSend[];
  /** True while a call to this chat's room is in flight. */
  busy: boolean;
}

/**
 * The sends of one person's devices to their ChatRooms, with at most one
 * call in flight per chat. Sends that arrive during a call wait and leave
 * together in the next `ChatRoom.sendBatch` call, in arrival order, so a
 * burst from several devices costs a few calls instead of one per message.
 */
export class RoomSends {
  private readonly queues = new Map<string, ChatQueue>();

  constructor(private readonly env: Env) {}

  /** Queues one send of `userId` and returns the room's result for it. */
  send(
    chatId: string,
    userId: string,
    deviceId: string,
    message: OutgoingMessage,
  ): Promise<Result<SendResult>> {
    let queue = this.queues.get(chatId);
    if (queue === undefined) {
      queue = { pending: [], busy: false };
      this.queues.set(chatId, queue);
    }
    const chatQueue = queue;
    return new Promise((resolve, reject) => {
      chatQueue.pending.push({ deviceId, message, resolve, reject });
      if (chatQueue.busy) return;
      chatQueue.busy = true;
      // Every caller awaits its own promise, which drain settles, so the
      // frame handlers keep the object's event alive until it is done.
      void this.drain(chatId, userId, chatQueue);
    });
  }

  /** Calls the room with the queued sends until none is left. */
  private async drain(
    chatId: string,
    userId: string,
    queue: ChatQueue,
  ): Promise<void> {
    try {
      while (queue.pending.length > 0) {
        const batch = queue.pending.splice(0, MAX_SEND_BATCH);
        await this.sendBatch(chatId, userId, batch);
      }
    } finally {
      queue.busy = false;
      if (queue.pending.length === 0) this.queues.delete(chatId);
    }
  }

  /**
   * Sends one batch and settles each send with its own result. A single
   * send uses `ChatRoom.send`, the call without a batch.
   */
  private async sendBatch(
    chatId: string,
    userId: string,
    batch: QueuedSend[],
  ): Promise<void> {
    const room = chatRoom(this.env, chatId);
    try {
      const [only] = batch;
      const results =
        only !== undefined && batch.length === 1
          ? [await room.send(userId, only.deviceId, only.message)]
          : await room.sendBatch(
              userId,
              batch.map(({ deviceId, message }) => ({ deviceId, message })),
            );
      batch.forEach((entry, index) => {
        const result = results[index];
        if (result === undefined) {
          entry.reject(new Error(`no result for send ${index} of the batch`));
        } else {
          entry.resolve(result);
        }
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
