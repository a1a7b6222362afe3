import type {
  ChatSummary,
  ServerFrame,
  StoredMessage,
} from "../../protocol/index.ts";
import { chatRoom, type Env } from "../../worker/env.ts";
import { log } from "../../worker/log.ts";
import { fail, ok, type Result } from "../../worker/result.ts";
import type { ChatUpdate, ReceiptUpdate } from "../chat-room/types.ts";
import type { Notifier } from "./notifications.ts";
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
    private readonly notifier: Notifier,
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
   * Records a message this person sent, from the room's reply, and sends
   * it to every device. The common case, a chat row this person has not
   * left, takes one write.
   */
  async deliver(message: StoredMessage): Promise<void> {
    if (this.recordMessage(message, true)) return;
    if (this.store.chat(message.chatId) === undefined) {
      await this.fetchChatRow(message.chatId, [message]);
      return;
    }
    log("hub.delivery_skipped", { chatId: message.chatId, seq: message.seq });
  }

  /**
   * Records a batch of live messages of one chat from its ChatRoom and
   * sends them to every device in order. The common case, a chat row this
   * person has not left, takes one write per batch. Messages at or below
   * the row's `fanout_seq` were recorded by an earlier attempt of the same
   * delivery, whose reply the room did not get, and are skipped.
   */
  async deliverFromRoom(messages: StoredMessage[]): Promise<void> {
    const chatId = messages[0]?.chatId;
    if (chatId === undefined) return;
    if (this.recordBatch(chatId, messages)) return;
    const chat = this.store.chat(chatId);
    if (chat === undefined) {
      if (await this.fetchChatRow(chatId, messages)) {
        // Marks the batch as delivered, so a retry of it is skipped.
        this.store.recordDelivered(chatId, {
          ...batchRange(messages),
          unreadSeqs: [],
        });
      }
      return;
    }
    if (chat.left) {
      log("hub.delivery_skipped", { chatId, seq: messages[0]?.seq });
      return;
    }
    const fanoutSeq = this.store.fanoutSeq(chatId);
    const fresh = messages.filter((message) => message.seq > fanoutSeq);
    log("hub.delivery_repeated", {
      chatId,
      skipped: messages.length - fresh.length,
    });
    if (fresh.length > 0) this.recordBatch(chatId, fresh);
  }

  /**
   * Broadcasts `messages` and records them in one write, or returns false,
   * sending nothing, when the chat's row does not accept them.
   *
   * The frames leave before the write because the output gate delays a
   * frame sent after a write until the write commits, and the room stored
   * the messages before it called this hub. The check, the frames and the
   * write run in one synchronous step, so no other delivery to this hub
   * can come between them. Should the write fail, the object restarts and
   * the room's retry brings the batch again, so devices get those
   * messages twice; clients store messages by id, so none shows twice.
   */
  private recordBatch(chatId: string, messages: StoredMessage[]): boolean {
    const range = batchRange(messages);
    if (!this.store.acceptsDelivery(chatId, range.firstSeq)) return false;
    for (const message of messages) this.sendMessageFrame(message);
    const myId = this.store.me()?.id;
    this.store.recordDelivered(chatId, {
      ...range,
      unreadSeqs: messages
        .filter((m) => m.senderId !== myId && m.kind === "message")
        .map((m) => m.seq),
    });
    this.notifier.messagesRecorded(chatId, messages);
    return true;
  }

  /**
   * Handles messages that arrived before their chat row: the room sends
   * the row and the messages separately, so the first message can win the
   * race. The row fetched now already counts `messages`, which are only
   * forwarded. Returns false when this person is no longer a member.
   */
  private async fetchChatRow(
    chatId: string,
    messages: StoredMessage[],
  ): Promise<boolean> {
    const userId = requireMe(this.store).id;
    const room = chatRoom(this.env, chatId);
    const update = await room.chatUpdateFor(userId);
    if (update === null) {
      log("hub.delivery_skipped", { chatId, seq: messages[0]?.seq });
      return false;
    }
    this.store.applyChat(update);
    this.pushChat(update.id);
    for (const message of messages) this.sendMessageFrame(message);
    this.notifier.messagesRecorded(chatId, messages);
    return true;
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
    this.notifier.messageDeleted(chatId, seq, id);
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
      activityTs(message),
      countsAsUnread,
      unlessLeft,
    );
    if (unlessLeft && !recorded) return false;
    this.sendMessageFrame(message);
    return true;
  }

  /**
   * Sends a `message` frame to every device, without the encrypted
   * preview: the preview is for pushes only.
   */
  private sendMessageFrame(message: StoredMessage): void {
    if (message.preview === undefined) {
      this.broadcast({ type: "message", message });
      return;
    }
    const { preview: _preview, ...withoutPreview } = message;
    this.broadcast({ type: "message", message: withoutPreview });
  }

  private pushChat(chatId: string): ChatSummary {
    const chat = this.store.chat(chatId);
    if (chat === undefined) throw new Error(`inbox row ${chatId} missing`);
    this.broadcast({ type: "chat", chat });
    return chat;
  }
}

/**
 * Returns the time a message moves its chat's last activity to: its ts, or
 * 0 for an MLS commit, so a device joining the group does not move the
 * chat up the list.
 */
function activityTs(message: StoredMessage): number {
  return message.kind === "commit" ? 0 : message.ts;
}

/** Returns the first and last seq and the newest activity ts of a batch. */
function batchRange(messages: StoredMessage[]): {
  firstSeq: number;
  lastSeq: number;
  lastTs: number;
} {
  return {
    firstSeq: messages[0]?.seq ?? 0,
    lastSeq: messages[messages.length - 1]?.seq ?? 0,
    lastTs: Math.max(0, ...messages.map(activityTs)),
  };
}
