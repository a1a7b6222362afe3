import {
  MAX_HISTORY_PAGE,
  type ChatDetail,
  type ServerFrame,
  type StoredMessage,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { countEvent } from "../../worker/metrics.ts";
import { HubDeliveries } from "./deliveries.ts";
import type { DeliveryMark } from "./delivery-mark.ts";
import type { MemberRow, RoomStore } from "./store.ts";
import type { ChatUpdate, ReceiptUpdate } from "./types.ts";

type HubStub = ReturnType<typeof userHub>;

/**
 * Returns the read position of `member` as shown to `viewerId`. In one-to-one chats it
 * reads as 0 when either side turned read receipts off; groups always
 * share.
 */
export function visibleReadSeq(
  store: RoomStore,
  member: MemberRow,
  viewerId: string,
  viewerSharesRead: boolean,
): number {
  if (member.user_id === viewerId || store.chat()?.kind === "group") {
    return member.read_seq;
  }
  return member.share_read === 1 && viewerSharesRead ? member.read_seq : 0;
}

/**
 * Builds the chat with its members as shown to `viewerId`. Someone who is no
 * longer a member gets an empty member list.
 */
export function chatDetail(
  store: RoomStore,
  viewerId: string,
  viewerSharesRead: boolean,
): ChatDetail {
  const chat = store.chat();
  if (chat === undefined) throw new Error("chat row missing");
  const isMember = store.member(viewerId) !== undefined;
  return {
    id: chat.chat_id,
    kind: chat.kind,
    name: chat.name,
    createdAt: chat.created_at,
    createdBy: chat.created_by,
    lastSeq: store.lastSeq(),
    deletedMemberIds: isMember ? store.deletedMemberIds() : [],
    members: !isMember
      ? []
      : store.members().map((member) => ({
          userId: member.user_id,
          role: member.role,
          joinedAt: member.joined_at,
          deliveredSeq: member.delivered_seq,
          readSeq: visibleReadSeq(store, member, viewerId, viewerSharesRead),
        })),
  };
}

/** The chat row of `userId` as their hub should store it. */
export function chatUpdateFor(store: RoomStore, userId: string): ChatUpdate {
  const chat = store.chat();
  if (chat === undefined) throw new Error("chat row missing");
  const member = store.member(userId);
  // The peer of a one-to-one chat stays named after their account was
  // deleted, so the chat still shows whom it was with.
  const peerId =
    store.members().find((m) => m.user_id !== userId)?.user_id ??
    store.deletedMemberIds().find((id) => id !== userId) ??
    null;
  const update: ChatUpdate = {
    id: chat.chat_id,
    kind: chat.kind,
    name: chat.name,
    peerId: chat.kind === "direct" ? peerId : null,
    role: member?.role ?? "member",
    memberCount: store.memberCount(),
    lastSeq: store.lastSeq(),
    lastActivityAt: store.lastActivityAt(),
    left: member === undefined,
  };
  if (member !== undefined) {
    update.readSeq = member.read_seq;
    update.unread = store.unread(userId, member.read_seq, member.from_seq);
  }
  return update;
}

/**
 * Sends a room's changes to the UserHubs of its members. Every method reads
 * the store synchronously first, so what it sends is the state at the time
 * of the call, then calls the hubs in the background.
 */
export class Fanout {
  private readonly deliveries: HubDeliveries;

  constructor(
    private readonly store: RoomStore,
    private readonly mark: DeliveryMark,
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {
    this.deliveries = new HubDeliveries(env, mark, waitUntil);
  }

  /** Moves the delivery mark; run from the room's alarm. */
  async checkDeliveries(): Promise<void> {
    await this.deliveries.checkMark();
  }

  /**
   * Queues again every message above the delivery mark, for the members
   * who could read it then, except its sender. Run once at start, before
   * any send, so each hub still gets its messages in sequence order.
   */
  resume(): void {
    const startSeq = this.mark.doneSeq();
    if (startSeq >= this.store.lastSeq()) return;
    const everything = { fromSeq: 0, untilSeq: Number.MAX_SAFE_INTEGER };
    const members = this.store.members();
    let afterSeq = startSeq;
    for (;;) {
      const { messages, hasMore } = this.store.page(
        everything,
        { afterSeq },
        MAX_HISTORY_PAGE,
      );
      for (const message of messages) {
        const recipients = members
          .filter((m) => m.user_id !== message.senderId)
          .filter((m) => m.from_seq <= message.seq)
          .map((m) => m.user_id);
        this.deliveries.enqueue(recipients, message);
      }
      afterSeq = messages.at(-1)?.seq ?? afterSeq;
      if (!hasMore || messages.length === 0) break;
    }
    log("chat.delivery_resumed", {
      chatId: this.store.chat()?.chat_id,
      firstSeq: startSeq + 1,
      lastSeq: afterSeq,
    });
  }

  /** Sends each person's chat row, then `messages`, to their hub. */
  chatChanged(userIds: string[], messages: StoredMessage[]): void {
    const updates = new Map(
      userIds.map((id) => [id, chatUpdateFor(this.store, id)]),
    );
    this.toHubs(userIds, "chat", async (hub, id) => {
      const update = updates.get(id);
      if (update !== undefined) await hub.applyChat(update, messages);
    });
    this.deliveries.sentElsewhere(messages);
  }

  /**
   * Queues a new message for the hubs of every member but its sender.
   * Messages to one hub leave in batches, in sequence order.
   */
  message(message: StoredMessage): void {
    countEvent(this.env, "message.stored", {
      detail: this.store.chat()?.kind ?? "",
    });
    const recipients = this.memberIds().filter((id) => id !== message.senderId);
    this.deliveries.enqueue(recipients, message);
  }

  /** Sends `deleted` to everyone who could read `message`. */
  deleted(message: StoredMessage): void {
    const recipients = this.store.readersOf(message.seq);
    // A deleted message no longer counts as unread, so current members get
    // their recounted unread number with the notice.
    const unread = new Map<string, number>();
    for (const userId of recipients) {
      const member = this.store.member(userId);
      if (member === undefined) continue;
      const count = this.store.unread(userId, member.read_seq, member.from_seq);
      unread.set(userId, count);
    }
    this.toHubs(recipients, "deleted", (hub, userId) =>
      hub.messageDeleted(
        message.chatId,
        message.id,
        message.seq,
        unread.get(userId) ?? null,
      ),
    );
  }

  /**
   * Sends the positions of each member in `userIds` to every recipient in
   * `recipientIds`, masked per recipient, with one call per recipient.
   */
  receipts(userIds: string[], recipientIds: string[]): void {
    const chat = this.store.chat();
    if (chat === undefined) return;
    const members = userIds.flatMap((id) => this.store.member(id) ?? []);
    if (members.length === 0) return;
    this.toHubs(recipientIds, "receipt", (hub, recipientId) => {
      const receipts = members.map((member): ReceiptUpdate => {
        const hidden =
          chat.kind === "direct" &&
          member.share_read !== 1 &&
          member.user_id !== recipientId;
        return {
          chatId: chat.chat_id,
          userId: member.user_id,
          deliveredSeq: member.delivered_seq,
          readSeq: hidden ? 0 : member.read_seq,
        };
      });
      return hub.receiptsChanged(receipts);
    });
  }

  /** Sends `userId`'s positions to every member, masked per recipient. */
  receipt(userId: string): void {
    this.receipts([userId], this.memberIds());
  }

  memberIds(): string[] {
    return this.store.memberIds();
  }

  /** Sends one frame to every socket of each person in `userIds`. */
  frame(userIds: string[], frame: ServerFrame): void {
    this.toHubs(userIds, frame.type, (hub) => hub.broadcastFrame(frame));
  }

  /** Calls every hub, logging (not raising) a failure of any one of them. */
  private toHubs(
    userIds: string[],
    kind: string,
    call: (hub: HubStub, userId: string) => Promise<unknown>,
  ): void {
    const chatId = this.store.chat()?.chat_id;
    const calls = userIds.map(async (userId) => {
      try {
        await call(userHub(this.env, userId), userId);
      } catch (error) {
        const reason = errorMessage(error);
        log("chat.fanout_failed", { chatId, userId, kind, error: reason });
      }
    });
    this.waitUntil(Promise.all(calls));
  }
}
