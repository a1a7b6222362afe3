import type {
  ChatSummary,
  ServerFrame,
  StoredMessage,
} from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import { log } from "../../worker/log.ts";
import { fail, ok, type Result } from "../../worker/result.ts";
import type { ChatUpdate, ReceiptUpdate } from "../chat-room/types.ts";
import { requireMe } from "./sessions.ts";
import type { HubStore, InboxPatch } from "./store.ts";

/**
 * The chat list of one person: rows merged from each ChatRoom, unread
 * counts, and the message, receipt and deletion frames sent to every
 * device when a room reports a change.
 */
export class Inbox {
  constructor(
    private readonly env: Env,
    private readonly store: HubStore,
    private readonly broadcast: (frame: ServerFrame) => void,
  ) {}

  updateInbox(chatId: string, patch: InboxPatch): Result<ChatSummary> {
    if (this.store.chat(chatId) === undefined) {
      return fail(
        "not_found",
        `Chat ${chatId} is not in your chat list.`,
        "chatId",
      );
    }
    this.store.updateInbox(chatId, patch);
    return ok(this.pushChat(chatId));
  }

  /** Merges a ChatRoom's view of a chat, then records `messages`. */
  applyChat(update: ChatUpdate, messages: StoredMessage[]): ChatSummary {
    this.store.applyChat(update);
    const summary = this.pushChat(update.id);
    for (const message of messages) this.recordMessage(message);
    return this.store.chat(update.id) ?? summary;
  }

  /**
   * Records a live message from a ChatRoom and sends it to every device.
   * The common case, a chat row this person has not left, takes one write.
   */
  async deliver(message: StoredMessage): Promise<void> {
    if (this.recordMessage(message, true)) return;
    if (this.store.chat(message.chatId) === undefined) {
      await this.fetchChatRow(message);
      return;
    }
    log("hub.delivery_skipped", { chatId: message.chatId, seq: message.seq });
  }

  /**
   * Handles a message that arrived before its chat row: the room sends the
   * row and the messages separately, so the first message can win the race.
   * The row fetched now already counts `message`, which is only forwarded.
   */
  private async fetchChatRow(message: StoredMessage): Promise<void> {
    const userId = requireMe(this.store).id;
    const room = chatRoom(this.env, message.chatId);
    const update = await room.chatUpdateFor(userId);
    if (update === null) {
      log("hub.delivery_skipped", { chatId: message.chatId, seq: message.seq });
      return;
    }
    this.store.applyChat(update);
    this.pushChat(update.id);
    this.broadcast({ type: "message", message });
  }

  /**
   * Sends a member's receipt positions to every device. A person with read
   * receipts off gets others' read positions as 0 in one-to-one chats.
   */
  receiptChanged(receipt: ReceiptUpdate): void {
    const me = this.store.me();
    const chat = this.store.chat(receipt.chatId);
    const hide =
      chat?.kind === "direct" &&
      receipt.userId !== me?.id &&
      me?.settings.readReceipts === false;
    this.broadcast({
      type: "receipt",
      ...receipt,
      readSeq: hide ? 0 : receipt.readSeq,
    });
  }

  /** Sends `deleted` to every device and stores a recounted `unread`. */
  messageDeleted(
    chatId: string,
    id: string,
    seq: number,
    unread: number | null,
  ): void {
    this.broadcast({ type: "deleted", chatId, id, seq });
    const chat = this.store.chat(chatId);
    if (chat === undefined || unread === null || chat.unread === unread) {
      return;
    }
    this.store.setRead(chatId, chat.readSeq, unread);
    this.pushChat(chatId);
  }

  /**
   * Records `message` in its chat row and sends it to every device. With
   * `unlessLeft`, a missing or left row gets neither, and false returns.
   */
  private recordMessage(message: StoredMessage, unlessLeft = false): boolean {
    const mine = message.senderId === this.store.me()?.id;
    const countsAsUnread = !mine && message.kind === "message";
    const recorded = this.store.recordMessage(
      message.chatId,
      message.seq,
      message.ts,
      countsAsUnread,
      unlessLeft,
    );
    if (unlessLeft && !recorded) return false;
    this.broadcast({ type: "message", message });
    return true;
  }

  private pushChat(chatId: string): ChatSummary {
    const chat = this.store.chat(chatId);
    if (chat === undefined) throw new Error(`inbox row ${chatId} missing`);
    this.broadcast({ type: "chat", chat });
    return chat;
  }
}
