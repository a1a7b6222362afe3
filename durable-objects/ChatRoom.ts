import { DurableObject } from "cloudflare:workers";
import {
  ApiError,
  DELETE_FOR_EVERYONE_WINDOW_MS,
  type ChatDetail,
  type ChatSummary,
  type MemberReceipt,
  type MemberRole,
  type OutgoingMessage,
  type StoredMessage,
} from "../protocol/index.ts";
import { userHub, type Env } from "../worker/env.ts";
import { errorMessage, log } from "../worker/log.ts";
import { catchApiError, type Result } from "../worker/result.ts";
import * as groups from "./chat-room/groups.ts";
import { ROOM_MIGRATIONS, RoomStore, type MemberRow } from "./chat-room/store.ts";
import type {
  ChatUpdate,
  ReceiptResult,
  ReceiptUpdate,
} from "./chat-room/types.ts";
import { migrate } from "./schema.ts";

const NOT_MEMBER = "You are not a member of this chat.";

export type HistoryCursor = { afterSeq: number } | { beforeSeq: number };

/**
 * One chat (named by its chat id): members with their receipt positions and
 * the ordered message log. Sequence numbers are assigned here and nowhere
 * else; every write happens without an await between its checks and its
 * insert, so the object's input gate makes each write atomic.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly store: RoomStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RoomStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage.sql, ROOM_MIGRATIONS);
    });
  }

  /** Creates the one-to-one chat of two people, or finds it again. */
  async openDirect(
    chatId: string,
    userId: string,
    peerId: string,
  ): Promise<Result<ChatSummary>> {
    return catchApiError(async () => {
      const chat = this.store.chat();
      if (chat === undefined) {
        const now = Date.now();
        this.store.createChat({
          chat_id: chatId,
          kind: "direct",
          name: null,
          created_at: now,
          created_by: userId,
        });
        this.store.addMember(userId, "member", now, 1);
        this.store.addMember(peerId, "member", now, 1);
        log("chat.created", { chatId, userId, kind: "direct" });
      } else if (this.store.member(userId) === undefined) {
        throw new ApiError("forbidden", NOT_MEMBER);
      }
      this.publish([peerId], []);
      return await userHub(this.env, userId).applyChat(this.updateFor(userId), []);
    });
  }

  /** Creates a group with its creator as the only admin. */
  async createGroup(
    chatId: string,
    creatorId: string,
    name: string,
    memberIds: string[],
  ): Promise<Result<ChatSummary>> {
    return catchApiError(async () => {
      if (this.store.chat() !== undefined) {
        throw new ApiError("conflict", `Chat ${chatId} already exists.`);
      }
      const now = Date.now();
      this.store.createChat({
        chat_id: chatId,
        kind: "group",
        name,
        created_at: now,
        created_by: creatorId,
      });
      this.store.addMember(creatorId, "admin", now, 1);
      const created = groups.writeSystem(
        this.store,
        creatorId,
        { event: "created", actorId: creatorId, name },
        now,
      );
      const added = groups.addMembers(this.store, creatorId, memberIds, now);
      const messages = [created, ...added.messages];
      log("chat.created", { chatId, userId: creatorId, kind: "group" });
      const others = this.store.members().filter((m) => m.user_id !== creatorId);
      this.publish(others.map((m) => m.user_id), messages);
      const hub = userHub(this.env, creatorId);
      return await hub.applyChat(this.updateFor(creatorId), messages);
    });
  }

  /**
   * Stores a message, or returns the original seq and ts when this id was
   * already stored by the same sender (a resend).
   */
  async send(
    senderId: string,
    senderDeviceId: string,
    message: OutgoingMessage,
  ): Promise<Result<{ seq: number; ts: number }>> {
    return catchApiError(() => {
      this.requireMember(senderId);
      const existing = this.store.messageById(message.id);
      if (existing !== undefined) {
        if (existing.senderId !== senderId) {
          throw new ApiError("conflict", `Message id ${message.id} is already used.`, "message.id");
        }
        return { seq: existing.seq, ts: existing.ts };
      }
      this.checkRef(senderId, message);
      const stored = this.store.insertMessage({
        id: message.id,
        kind: message.kind,
        ref: message.ref ?? null,
        senderId,
        senderDeviceId,
        body: message.body,
        ts: Date.now(),
      });
      this.ctx.waitUntil(this.deliver(stored));
      return { seq: stored.seq, ts: stored.ts };
    });
  }

  /** Edits need the sender's own message; reactions any visible one. */
  private checkRef(senderId: string, message: OutgoingMessage): void {
    if (message.kind === "message") return;
    const target = this.store.messageById(message.ref ?? "");
    const range = this.store.readableRange(senderId);
    if (target === undefined || range === undefined || target.seq < range.fromSeq) {
      throw new ApiError("not_found", `Message ${message.ref} does not exist in this chat.`, "message.ref");
    }
    if (target.deleted) {
      throw new ApiError("not_found", `Message ${message.ref} was deleted.`, "message.ref");
    }
    if (message.kind === "edit" && (target.kind !== "message" || target.senderId !== senderId)) {
      throw new ApiError("forbidden", "You can only edit your own messages.", "message.ref");
    }
    if (message.kind === "reaction" && target.kind !== "message") {
      throw new ApiError("forbidden", "Reactions apply to messages only.", "message.ref");
    }
  }

  /**
   * Moves a member's delivered or read position forward (never back),
   * clamped to the last sequence; read implies delivered.
   */
  async receipt(
    userId: string,
    kind: "delivered" | "read",
    seq: number,
    shareRead: boolean,
  ): Promise<Result<ReceiptResult>> {
    return catchApiError(() => {
      const member = this.requireMember(userId);
      const target = Math.min(seq, this.store.lastSeq());
      const readSeq = kind === "read" ? Math.max(member.read_seq, target) : member.read_seq;
      const deliveredSeq = Math.max(member.delivered_seq, target, readSeq);
      const shareChanged = (member.share_read === 1) !== shareRead;
      const moved = deliveredSeq !== member.delivered_seq || readSeq !== member.read_seq;
      if (moved) this.store.setReceipts(userId, deliveredSeq, readSeq);
      if (shareChanged) this.store.setShareRead(userId, shareRead);
      if (moved || shareChanged) this.ctx.waitUntil(this.announceReceipt(userId));
      const unread = this.store.unread(userId, readSeq, member.from_seq);
      return { deliveredSeq, readSeq, unread };
    });
  }

  /** Whether `userId` shows read receipts to others (one-to-one chats). */
  async setShareRead(userId: string, shareRead: boolean): Promise<void> {
    const member = this.store.member(userId);
    if (member === undefined || (member.share_read === 1) === shareRead) return;
    this.store.setShareRead(userId, shareRead);
    this.ctx.waitUntil(this.announceReceipt(userId));
  }

  /** A page of messages from the part of the log `userId` may read. */
  async history(
    userId: string,
    cursor: HistoryCursor,
    limit: number,
  ): Promise<Result<{ messages: StoredMessage[]; hasMore: boolean }>> {
    return catchApiError(() => {
      const range = this.store.readableRange(userId);
      if (range === undefined) throw new ApiError("forbidden", NOT_MEMBER);
      return this.store.page(range, cursor, limit);
    });
  }

  /** Every member's receipt positions as `viewerId` may see them. */
  async receipts(viewerId: string, viewerSharesRead: boolean): Promise<Result<MemberReceipt[]>> {
    return catchApiError(() => {
      this.requireMember(viewerId);
      return this.store.members().map((member) => ({
        userId: member.user_id,
        deliveredSeq: member.delivered_seq,
        readSeq: this.visibleReadSeq(member, viewerId, viewerSharesRead),
      }));
    });
  }

  async detail(viewerId: string, viewerSharesRead: boolean): Promise<Result<ChatDetail>> {
    return catchApiError(() => this.buildDetail(viewerId, viewerSharesRead));
  }

  async rename(actorId: string, name: string, viewerSharesRead: boolean) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.renameGroup(this.store, actorId, name, now),
    );
  }

  async addMembers(actorId: string, userIds: string[], viewerSharesRead: boolean) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.addMembers(this.store, actorId, userIds, now),
    );
  }

  async removeMember(actorId: string, targetId: string, viewerSharesRead: boolean) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.removeMember(this.store, actorId, targetId, now),
    );
  }

  async setRole(
    actorId: string,
    targetId: string,
    role: MemberRole,
    viewerSharesRead: boolean,
  ) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.setRole(this.store, actorId, targetId, role, now),
    );
  }

  /**
   * Deletes the author's own message for everyone within
   * DELETE_FOR_EVERYONE_WINDOW_MS of sending, with its edits and reactions.
   */
  async deleteForEveryone(userId: string, messageId: string): Promise<Result<{ seq: number }>> {
    return catchApiError(() => {
      this.requireMember(userId);
      const message = this.store.messageById(messageId);
      const range = this.store.readableRange(userId);
      if (message === undefined || range === undefined || message.seq < range.fromSeq) {
        throw new ApiError("not_found", `Message ${messageId} does not exist in this chat.`, "messageId");
      }
      if (message.senderId !== userId || message.kind !== "message") {
        throw new ApiError("forbidden", "You can only delete your own messages for everyone.", "messageId");
      }
      if (Date.now() - message.ts > DELETE_FOR_EVERYONE_WINDOW_MS) {
        const hours = DELETE_FOR_EVERYONE_WINDOW_MS / 3_600_000;
        throw new ApiError("forbidden", `Messages can be deleted for everyone only within ${hours} hours of sending.`, "messageId");
      }
      if (!message.deleted) {
        this.store.markDeleted(messageId);
        const recipients = this.store.members().map((m) => m.user_id);
        this.ctx.waitUntil(this.forEachHub(recipients, "deleted", (hub) =>
          hub.messageDeleted(message.chatId, messageId, message.seq)));
      }
      return { seq: message.seq };
    });
  }

  private requireMember(userId: string): MemberRow {
    const member = this.store.member(userId);
    if (member === undefined) throw new ApiError("forbidden", NOT_MEMBER);
    return member;
  }

  private buildDetail(viewerId: string, viewerSharesRead: boolean): ChatDetail {
    const chat = this.store.chat();
    if (chat === undefined) throw new ApiError("forbidden", NOT_MEMBER);
    this.requireMember(viewerId);
    return {
      id: chat.chat_id,
      kind: chat.kind,
      name: chat.name,
      createdAt: chat.created_at,
      createdBy: chat.created_by,
      lastSeq: this.store.lastSeq(),
      members: this.store.members().map((member) => ({
        userId: member.user_id,
        role: member.role,
        joinedAt: member.joined_at,
        deliveredSeq: member.delivered_seq,
        readSeq: this.visibleReadSeq(member, viewerId, viewerSharesRead),
      })),
    };
  }

  /**
   * Read position of `member` as `viewerId` sees it. In one-to-one chats it
   * reads as 0 when either side turned read receipts off; groups always
   * share.
   */
  private visibleReadSeq(member: MemberRow, viewerId: string, viewerSharesRead: boolean): number {
    if (member.user_id === viewerId || this.store.chat()?.kind === "group") {
      return member.read_seq;
    }
    return member.share_read === 1 && viewerSharesRead ? member.read_seq : 0;
  }

  /** Runs a group change, then tells every member and departed person. */
  private async change(
    actorId: string,
    viewerSharesRead: boolean,
    apply: (now: number) => groups.MembershipChange,
  ): Promise<Result<ChatDetail>> {
    return catchApiError(() => {
      if (this.store.chat() === undefined) throw new ApiError("forbidden", NOT_MEMBER);
      this.requireMember(actorId);
      const change = apply(Date.now());
      if (change.messages.length > 0) {
        const members = this.store.members().map((m) => m.user_id);
        this.publish([...members, ...change.departed], change.messages);
      }
      const stillMember = this.store.member(actorId) !== undefined;
      return stillMember ? this.buildDetail(actorId, viewerSharesRead) : this.departedDetail();
    });
  }

  /** What someone who just left sees: the chat without its member list. */
  private departedDetail(): ChatDetail {
    const chat = this.store.chat();
    if (chat === undefined) throw new ApiError("forbidden", NOT_MEMBER);
    return {
      id: chat.chat_id,
      kind: chat.kind,
      name: chat.name,
      createdAt: chat.created_at,
      createdBy: chat.created_by,
      lastSeq: this.store.lastSeq(),
      members: [],
    };
  }

  /** The chat row of `userId` as their hub should store it. */
  private updateFor(userId: string): ChatUpdate {
    const chat = this.store.chat();
    if (chat === undefined) throw new Error("chat row missing");
    const member = this.store.member(userId);
    const peer = this.store.members().find((m) => m.user_id !== userId);
    const update: ChatUpdate = {
      id: chat.chat_id,
      kind: chat.kind,
      name: chat.name,
      peerId: chat.kind === "direct" ? (peer?.user_id ?? null) : null,
      role: member?.role ?? "member",
      memberCount: this.store.memberCount(),
      lastSeq: this.store.lastSeq(),
      lastActivityAt: this.store.lastActivityAt(),
      left: member === undefined,
    };
    if (member !== undefined) {
      update.readSeq = member.read_seq;
      update.unread = this.store.unread(userId, member.read_seq, member.from_seq);
    }
    return update;
  }

  /** Sends each person's updated chat row and `messages` to their hub. */
  private publish(userIds: string[], messages: StoredMessage[]): void {
    const updates = new Map(userIds.map((id) => [id, this.updateFor(id)]));
    this.ctx.waitUntil(this.forEachHub(userIds, "chat", async (hub, id) => {
      const update = updates.get(id);
      if (update !== undefined) await hub.applyChat(update, messages);
    }));
  }

  private async deliver(message: StoredMessage): Promise<void> {
    const recipients = this.store.members().map((m) => m.user_id);
    await this.forEachHub(recipients, "message", (hub) => hub.deliver(message));
  }

  /** Sends `userId`'s positions to every member, masked per viewer. */
  private async announceReceipt(userId: string): Promise<void> {
    const member = this.store.member(userId);
    const chat = this.store.chat();
    if (member === undefined || chat === undefined) return;
    const hidden = chat.kind === "direct" && member.share_read !== 1;
    const recipients = this.store.members().map((m) => m.user_id);
    await this.forEachHub(recipients, "receipt", (hub, recipientId) => {
      const receipt: ReceiptUpdate = {
        chatId: chat.chat_id,
        userId,
        deliveredSeq: member.delivered_seq,
        readSeq: hidden && recipientId !== userId ? 0 : member.read_seq,
      };
      return hub.receiptChanged(receipt);
    });
  }

  /** Calls every hub, logging (not raising) a failure of any one of them. */
  private async forEachHub(
    userIds: string[],
    what: string,
    call: (hub: ReturnType<typeof userHub>, userId: string) => Promise<unknown>,
  ): Promise<void> {
    const chatId = this.store.chat()?.chat_id;
    await Promise.all(
      userIds.map(async (userId) => {
        try {
          await call(userHub(this.env, userId), userId);
        } catch (error) {
          log("chat.fanout_failed", { chatId, userId, what, error: errorMessage(error) });
        }
      }),
    );
  }
}
