import { DurableObject } from "cloudflare:workers";
import {
  type CallPublicKey,
  ApiError,
  type CallInfo,
  type ChatDetail,
  type CommitBody,
  type GroupCallInfo,
  type GroupStatus,
  type ChatSummary,
  type MemberReceipt,
  type MemberRole,
  type OutgoingMessage,
  type StoredMessage,
  type TypingState,
  type UploadState,
} from "../protocol/index.ts";
import type { RealtimeKitTokenReply } from "../protocol/realtimekit.ts";
import { countedSql } from "../worker/dev-counters.ts";
import { userHub, type Env } from "../worker/env.ts";
import { errorMessage, log } from "../worker/log.ts";
import { catchApiError, fail, type Result } from "../worker/result.ts";
import { RoomCalls, type CallPeerFrame } from "./chat-room/calls.ts";
import { CallStore } from "./chat-room/call-store.ts";
import * as groups from "./chat-room/groups.ts";
import { RoomGroupCalls, type KeyFrame } from "./chat-room/group-calls.ts";
import {
  GroupCallStore,
  type DeviceRef,
  type MediaState,
} from "./chat-room/group-call-store.ts";
import { ROOM_MIGRATIONS, RoomStore } from "./chat-room/store.ts";
import {
  chatDetail,
  chatUpdateFor,
  Fanout,
  visibleReadSeq,
} from "./chat-room/fanout.ts";
import {
  RoomMedia,
  type CompleteTarget,
  type PartTarget,
} from "./chat-room/media.ts";
import { DeliveryMark } from "./chat-room/delivery-mark.ts";
import { MediaCleanup } from "./chat-room/media-cleanup.ts";
import { MediaStore, type MediaPart } from "./chat-room/media-store.ts";
import * as membership from "./chat-room/membership.ts";
import { NOT_MEMBER, requireMember } from "./chat-room/membership.ts";
import * as chatMessages from "./chat-room/messages.ts";
import {
  MlsDelivery,
  type Caller,
  type CommitResult,
} from "./chat-room/mls.ts";
import { MlsStore } from "./chat-room/mls-store.ts";
import { ReceiptCoalescer } from "./chat-room/receipts.ts";
import type {
  ChatUpdate,
  ReceiptResult,
  SendResult,
} from "./chat-room/types.ts";
import { TypingRelay } from "./chat-room/typing.ts";
import { migrate } from "./schema.ts";

export type HistoryCursor = { afterSeq: number } | { beforeSeq: number };

/**
 * One chat (named by its chat id): members with their receipt positions and
 * the ordered message log. Sequence numbers are assigned here and nowhere
 * else. No write awaits between its checks and its insert, so the object's
 * input gate makes each write atomic.
 */
export class ChatRoom extends DurableObject<Env> {
  private readonly store: RoomStore;
  private readonly fanout: Fanout;
  private readonly typingRelay: TypingRelay;
  private readonly receiptBatches: ReceiptCoalescer;
  private readonly mls: MlsDelivery;
  private readonly media: RoomMedia;
  private readonly mediaCleanup: MediaCleanup;
  private readonly calls: RoomCalls;
  private readonly groupCalls: RoomGroupCalls;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = countedSql(env, "ChatRoom", ctx.storage.sql);
    this.store = new RoomStore(sql);
    this.fanout = new Fanout(
      this.store,
      new DeliveryMark(sql, ctx.storage),
      env,
      (p) => ctx.waitUntil(p),
    );
    this.receiptBatches = new ReceiptCoalescer(this.fanout, (p) =>
      ctx.waitUntil(p),
    );
    this.typingRelay = new TypingRelay(sql, this.store, env, (p) =>
      ctx.waitUntil(p),
    );
    this.mls = new MlsDelivery(this.store, new MlsStore(sql), this.fanout, env);
    const mediaStore = new MediaStore(sql);
    this.mediaCleanup = new MediaCleanup(
      this.store,
      mediaStore,
      env,
      ctx.storage,
    );
    this.media = new RoomMedia(this.store, mediaStore, this.mediaCleanup);
    this.calls = new RoomCalls(
      this.store,
      new CallStore(sql),
      this.fanout,
      this.typingRelay,
      env,
      ctx.storage,
    );
    this.groupCalls = new RoomGroupCalls(
      this.store,
      new GroupCallStore(sql),
      this.fanout,
      env,
      ctx.storage,
    );
    // SQLite calls are synchronous; the gate still keeps requests out
    // until the schema is current and lost deliveries are queued again.
    void ctx.blockConcurrencyWhile(() => {
      migrate(sql, ROOM_MIGRATIONS);
      this.fanout.resume();
      return Promise.resolve();
    });
  }

  /** Creates the one-to-one chat of two people, or finds it again. */
  async openDirect(
    chatId: string,
    userId: string,
    peerId: string,
  ): Promise<Result<ChatSummary>> {
    return catchApiError(async () => {
      membership.createDirect(this.store, chatId, userId, peerId);
      this.fanout.chatChanged([peerId], []);
      const update = chatUpdateFor(this.store, userId);
      return await userHub(this.env, userId).applyChat(update, []);
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
      const messages = membership.createGroup(
        this.store,
        this.fanout,
        chatId,
        creatorId,
        name,
        memberIds,
      );
      const update = chatUpdateFor(this.store, creatorId);
      return await userHub(this.env, creatorId).applyChat(update, messages);
    });
  }

  /**
   * Stores a message and sends it to the other members' hubs, or returns
   * the original seq and ts when this id was already stored by the same
   * sender (a resend). The sender's hub records the message from the result.
   */
  async send(
    senderId: string,
    senderDeviceId: string,
    message: OutgoingMessage,
  ): Promise<Result<SendResult>> {
    return catchApiError(() =>
      chatMessages.sendMessage(
        this.store,
        this.fanout,
        this.typingRelay,
        this.media,
        { userId: senderId, deviceId: senderDeviceId },
        message,
      ),
    );
  }

  /**
   * Stores the sends of one sender in order, as `send` does for each, and
   * returns one result per send. A send that fails unexpectedly gets an
   * "internal" error and does not stop the sends after it.
   */
  async sendBatch(
    senderId: string,
    sends: { deviceId: string; message: OutgoingMessage }[],
  ): Promise<Result<SendResult>[]> {
    const results: Result<SendResult>[] = [];
    for (const { deviceId, message } of sends) {
      try {
        results.push(await this.send(senderId, deviceId, message));
      } catch (error) {
        log("room.send_failed", {
          chatId: this.store.chat()?.chat_id,
          senderId,
          deviceId,
          messageId: message.id,
          error: errorMessage(error),
        });
        results.push(
          fail("internal", "The server failed to store this message."),
        );
      }
    }
    return results;
  }

  // ---- typing, viewers and blocks -----------------------------------------

  /**
   * Relays a member's composer state to the members viewing the chat;
   * returns how many members' hubs were called.
   */
  async typing(userId: string, state: TypingState): Promise<Result<number>> {
    return catchApiError(() => {
      requireMember(this.store, userId);
      return this.typingRelay.relay(userId, state, Date.now());
    });
  }

  /** Records whether a device of `userId` views this chat (open or listed). */
  setViewer(userId: string, on: boolean): void {
    this.typingRelay.setViewer(userId, on, Date.now());
  }

  /**
   * Records that `blockerId` blocked (or unblocked) `blockedId`. Only called
   * on the direct chat of the two; kept even before the chat exists, so a
   * chat opened later starts blocked.
   */
  setBlocked(blockerId: string, blockedId: string, on: boolean): void {
    this.typingRelay.setBlocked(blockerId, blockedId, on);
    log("room.block_changed", { blockerId, blockedId, on });
  }

  /**
   * Moves a member's delivered or read position forward (never back),
   * clamped to the last sequence; read implies delivered. The new positions
   * go to the authors of the messages they move past, batched for
   * RECEIPT_COALESCE_MS. A change of the read receipts setting goes to
   * every member. The caller's hub sends them to the member's own devices.
   */
  async receipt(
    userId: string,
    kind: "delivered" | "read",
    seq: number,
    shareRead: boolean,
  ): Promise<Result<ReceiptResult>> {
    return catchApiError(() => {
      const member = requireMember(this.store, userId);
      const target = Math.min(seq, this.store.lastSeq());
      const readSeq =
        kind === "read" ? Math.max(member.read_seq, target) : member.read_seq;
      const deliveredSeq = Math.max(member.delivered_seq, target, readSeq);
      const shareChanged = (member.share_read === 1) !== shareRead;
      const moved =
        deliveredSeq !== member.delivered_seq || readSeq !== member.read_seq;
      if (moved) {
        this.store.setReceipts(userId, deliveredSeq, readSeq);
        const authors = this.store.authorsBetween(
          { after: member.delivered_seq, upTo: deliveredSeq },
          { after: member.read_seq, upTo: readSeq },
        );
        this.receiptBatches.add(userId, authors);
      }
      if (shareChanged) {
        this.store.setShareRead(userId, shareRead);
        this.receiptBatches.add(userId, this.fanout.memberIds());
      }
      const unread = this.store.unread(userId, readSeq, member.from_seq);
      const changed = moved || shareChanged;
      return { deliveredSeq, readSeq, unread, changed };
    });
  }

  /** Sets whether `userId` shows read receipts in one-to-one chats. */
  setShareRead(userId: string, shareRead: boolean): void {
    const member = this.store.member(userId);
    if (member === undefined || (member.share_read === 1) === shareRead) return;
    this.store.setShareRead(userId, shareRead);
    this.fanout.receipt(userId);
  }

  /** Returns the chat row of a current member for their hub, or null. */
  chatUpdateFor(userId: string): ChatUpdate | null {
    if (this.store.member(userId) === undefined) return null;
    return chatUpdateFor(this.store, userId);
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
  async receipts(
    viewerId: string,
    viewerSharesRead: boolean,
  ): Promise<Result<MemberReceipt[]>> {
    return catchApiError(() => {
      requireMember(this.store, viewerId);
      return this.store.members().map((member) => ({
        userId: member.user_id,
        deliveredSeq: member.delivered_seq,
        readSeq: visibleReadSeq(this.store, member, viewerId, viewerSharesRead),
      }));
    });
  }

  async detail(
    viewerId: string,
    viewerSharesRead: boolean,
  ): Promise<Result<ChatDetail>> {
    return catchApiError(() => {
      if (this.store.chat() === undefined) {
        throw new ApiError("forbidden", NOT_MEMBER);
      }
      requireMember(this.store, viewerId);
      return chatDetail(this.store, viewerId, viewerSharesRead);
    });
  }

  async rename(actorId: string, name: string, viewerSharesRead: boolean) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.renameGroup(this.store, actorId, name, now),
    );
  }

  async addMembers(
    actorId: string,
    userIds: string[],
    viewerSharesRead: boolean,
  ) {
    return this.change(actorId, viewerSharesRead, (now) =>
      groups.addMembers(this.store, actorId, userIds, now),
    );
  }

  async removeMember(
    actorId: string,
    targetId: string,
    viewerSharesRead: boolean,
  ) {
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
   * DELETE_FOR_EVERYONE_WINDOW_MS of sending, with its edits, reactions
   * and files.
   */
  async deleteForEveryone(
    userId: string,
    messageId: string,
  ): Promise<Result<{ seq: number }>> {
    return catchApiError(async () => {
      const result = chatMessages.deleteForEveryone(
        this.store,
        this.fanout,
        this.mediaCleanup,
        userId,
        messageId,
      );
      await this.mediaCleanup.purgeTrash();
      return result;
    });
  }

  /**
   * Takes a person whose account was deleted out of this chat, ends the
   * one-to-one call they are in, drops their devices from the group call
   * and deletes the files they uploaded. Their messages stay for the
   * others. Safe to repeat: a second call finds nothing left to do.
   */
  async removeDeletedAccount(userId: string): Promise<void> {
    if (this.store.chat() === undefined) return;
    const change = groups.removeDeletedAccount(this.store, userId, Date.now());
    if (change.messages.length > 0) {
      this.fanout.chatChanged(this.store.memberIds(), change.messages);
    }
    // The call ends after the removal, so its call entry goes only to the
    // remaining members and never to the hub that is about to be erased.
    await this.calls.endForDeletedAccount(userId);
    const files = this.mediaCleanup.trashUploadsOf(userId);
    await this.mediaCleanup.purgeTrash();
    await this.groupCalls.membersChanged([userId]);
    log("room.account_removed", {
      chatId: this.store.chat()?.chat_id,
      userId,
      files,
    });
  }

  // ---- media uploads (chat-room/media.ts) ---------------------------------

  /** Checks that `userId` is a member and so may start an upload. */
  async mediaMayUpload(userId: string): Promise<Result<null>> {
    return catchApiError(() => {
      this.media.requireUploader(userId);
      return null;
    });
  }

  /** Records an R2 multipart upload the Worker created for this chat. */
  async mediaCreate(
    uploader: Caller,
    mediaId: string,
    size: number,
    uploadId: string,
  ): Promise<Result<UploadState>> {
    return catchApiError(() =>
      this.media.create(uploader, mediaId, size, uploadId),
    );
  }

  /** Returns which parts of the caller's upload arrived. */
  async mediaUploadState(
    userId: string,
    mediaId: string,
  ): Promise<Result<UploadState>> {
    return catchApiError(() => this.media.uploadState(userId, mediaId));
  }

  /** Checks that the caller may upload part `part` and returns its target. */
  async mediaPartTarget(
    userId: string,
    mediaId: string,
    part: number,
  ): Promise<Result<PartTarget>> {
    return catchApiError(() => this.media.partTarget(userId, mediaId, part));
  }

  /** Records a part that R2 stored. */
  async mediaRecordPart(
    userId: string,
    mediaId: string,
    part: MediaPart,
  ): Promise<Result<null>> {
    return catchApiError(() => {
      this.media.recordPart(userId, mediaId, part);
      return null;
    });
  }

  /** Returns the parts to complete the upload with in R2. */
  async mediaCompleteTarget(
    userId: string,
    mediaId: string,
  ): Promise<Result<CompleteTarget>> {
    return catchApiError(() => this.media.completeTarget(userId, mediaId));
  }

  /** Marks the caller's upload complete once R2 completed it. */
  async mediaMarkComplete(
    userId: string,
    mediaId: string,
  ): Promise<Result<UploadState>> {
    return catchApiError(() => this.media.markComplete(userId, mediaId));
  }

  /** Deletes the caller's upload that no message lists. */
  async mediaCancel(userId: string, mediaId: string): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.media.cancel(userId, mediaId);
      return null;
    });
  }

  /** Returns the R2 key and size of a file the caller may download. */
  async mediaDownload(
    userId: string,
    mediaId: string,
  ): Promise<Result<{ key: string; size: number }>> {
    return catchApiError(() => this.media.download(userId, mediaId));
  }

  /**
   * Moves the delivery mark (chat-room/deliveries.ts), ends a call whose
   * ring or ping deadline passed, marks or drops silent
   * group call participants, deletes uploads never
   * attached within MEDIA_UNATTACHED_TTL_MS and retries failed R2
   * deletes. Each part sets the alarm for its own next deadline unless an
   * earlier one is set, so the alarm fires at the earliest of them.
   */
  override async alarm(): Promise<void> {
    try {
      await this.fanout.checkDeliveries();
    } catch (error) {
      log("chat.delivery_check_failed", {
        chatId: this.store.chat()?.chat_id,
        error: errorMessage(error),
      });
    }
    try {
      await this.calls.onAlarm();
    } catch (error) {
      log("call.alarm_failed", {
        chatId: this.store.chat()?.chat_id,
        error: errorMessage(error),
      });
    }
    try {
      await this.groupCalls.onAlarm();
    } catch (error) {
      log("groupcall.alarm_failed", {
        chatId: this.store.chat()?.chat_id,
        error: errorMessage(error),
      });
    }
    await this.mediaCleanup.onAlarm();
  }

  // ---- group calls (chat-room/group-calls.ts) ------------------------------

  /** Starts the group's call or joins the running one. */
  async groupCallJoin(
    device: DeviceRef,
    callId: string,
    video: boolean,
    callKey?: CallPublicKey,
  ): Promise<Result<GroupCallInfo>> {
    return catchApiError(() =>
      this.groupCalls.join(device, callId, video, callKey),
    );
  }

  /** Relays a call key frame between two participants (relayKey). */
  async groupCallKey(
    device: DeviceRef,
    frame: KeyFrame,
  ): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.groupCalls.relayKey(device, frame);
      return null;
    });
  }

  async groupCallLeave(device: DeviceRef, callId: string): Promise<void> {
    await this.groupCalls.leave(device, callId);
  }

  async groupCallDecline(
    userId: string,
    callId: string,
  ): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.groupCalls.decline(userId, callId);
      return null;
    });
  }

  async groupCallUpdate(
    device: DeviceRef,
    callId: string,
    state: MediaState,
  ): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.groupCalls.update(device, callId, state);
      return null;
    });
  }

  async groupCallPing(
    device: DeviceRef,
    callId: string,
  ): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.groupCalls.ping(device, callId);
      return null;
    });
  }

  /**
   * Checks that the SFU proxy may act for `device` in call `callId`
   * (RoomGroupCalls.checkSfuAccess).
   */
  async groupCallSfuAccess(
    device: DeviceRef,
    callId: string,
    sessionId: string | null,
    remoteSessionIds: string[],
  ): Promise<Result<null>> {
    return catchApiError(() => {
      this.groupCalls.checkSfuAccess(
        device,
        callId,
        sessionId,
        remoteSessionIds,
      );
      return null;
    });
  }

  /** Returns a RealtimeKit token for `device` in call `callId`. */
  async groupCallRealtimeKitToken(
    device: DeviceRef,
    callId: string,
  ): Promise<Result<RealtimeKitTokenReply>> {
    return catchApiError(() =>
      this.groupCalls.realtimeKitToken(device, callId),
    );
  }

  /** Records the SFU session that the proxy created for `device`. */
  async groupCallRecordSession(
    device: DeviceRef,
    callId: string,
    sessionId: string,
  ): Promise<Result<null>> {
    return catchApiError(() => {
      this.groupCalls.recordSfuSession(device, callId, sessionId);
      return null;
    });
  }

  // ---- one-to-one calls (chat-room/calls.ts) -------------------------------

  /** Stores a new call from `caller` to the other member of this chat. */
  async callStart(
    caller: Caller,
    callId: string,
    video: boolean,
  ): Promise<Result<CallInfo>> {
    return catchApiError(() => this.calls.start(caller, callId, video));
  }

  /** Rings the callee of a call that `callStart` stored. */
  async callRing(callId: string): Promise<void> {
    await this.calls.ring(callId);
  }

  /** Tells the caller "ringing" after a callee device got `call.incoming`. */
  async callDeviceRang(callId: string): Promise<void> {
    await this.calls.deviceRang(callId);
  }

  async callAccept(callee: Caller, callId: string): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.calls.accept(callee, callId);
      return null;
    });
  }

  async callDecline(callee: Caller, callId: string): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.calls.decline(callee, callId);
      return null;
    });
  }

  async callHangup(
    party: Caller,
    callId: string,
    reason: "hangup" | "failed",
  ): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.calls.hangup(party, callId, reason);
      return null;
    });
  }

  /** Relays a signal or media frame to the peer device, or records a ping. */
  async callRelay(sender: Caller, frame: CallPeerFrame): Promise<Result<null>> {
    return catchApiError(async () => {
      await this.calls.relay(sender, frame);
      return null;
    });
  }

  /** Returns whether `callId` is this chat's call and has not ended. */
  callIsLive(callId: string): boolean {
    return this.calls.isLive(callId);
  }

  // ---- MLS delivery (chat-room/mls.ts) ------------------------------------

  /** Returns the chat's MLS group as the calling device should see it. */
  async mlsStatus(caller: Caller): Promise<Result<GroupStatus>> {
    return catchApiError(() => this.mls.status(caller));
  }

  /**
   * Stores a commit made at the group's epoch as a `commit` message and
   * moves the group on. The caller's hub records the returned message.
   */
  async mlsCommit(
    caller: Caller,
    body: CommitBody,
  ): Promise<Result<CommitResult>> {
    return catchApiError(() => this.mls.commit(caller, body));
  }

  /** Sends the calling device's request to join the group to the members. */
  async mlsRequestAdd(caller: Caller, reset: boolean): Promise<Result<null>> {
    return catchApiError(() => {
      this.mls.requestAdd(caller, reset);
      return null;
    });
  }

  /** Runs a group change and sends it to members and departed people. */
  private async change(
    actorId: string,
    viewerSharesRead: boolean,
    apply: (now: number) => groups.MembershipChange,
  ): Promise<Result<ChatDetail>> {
    return catchApiError(async () => {
      let departed: string[] = [];
      const detail = membership.applyChange(
        this.store,
        this.fanout,
        actorId,
        viewerSharesRead,
        (now) => {
          const change = apply(now);
          departed = change.departed;
          return change;
        },
      );
      await this.groupCalls.membersChanged(departed);
      return detail;
    });
  }
}
