import type { ServerFrame } from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import { unwrap } from "../../worker/result.ts";
import type { Notifier } from "./notifications.ts";
import type { HubStore } from "./store.ts";

/** The hub state and operations that `applyReceipt` uses. */
export interface ReceiptContext {
  env: Env;
  store: HubStore;
  notifier: Notifier;
  userId: string;
  deviceId: string;
  /** Whether this person shares read receipts (one-to-one chats). */
  sharesRead: boolean;
  /** Sends a frame to every socket of this person. */
  broadcast(frame: ServerFrame): void;
}

/**
 * Moves this person's delivered or read position in a chat through its
 * ChatRoom, then updates the chat row and notifies their devices: frames
 * to connected ones, a `read` push to the others when a message push of the
 * chat went out after the previous read position. Raises the room's
 * error, such as "forbidden" for a chat this person is not a member of.
 */
export async function applyReceipt(
  context: ReceiptContext,
  chatId: string,
  kind: "delivered" | "read",
  seq: number,
): Promise<void> {
  const room = chatRoom(context.env, chatId);
  const result = unwrap(
    await room.receipt(context.userId, kind, seq, context.sharesRead),
  );
  const previousReadSeq = context.store.chat(chatId)?.readSeq ?? 0;
  // A receipt that moves nothing in the chat row sends no `chat` frame.
  if (context.store.setRead(chatId, result.readSeq, result.unread)) {
    const chat = context.store.chat(chatId);
    if (chat !== undefined) context.broadcast({ type: "chat", chat });
    context.notifier.chatRead(
      chatId,
      previousReadSeq,
      result.readSeq,
      context.deviceId,
    );
  }
  if (result.changed) {
    context.broadcast({
      type: "receipt",
      chatId,
      userId: context.userId,
      deliveredSeq: result.deliveredSeq,
      readSeq: result.readSeq,
    });
  }
}
