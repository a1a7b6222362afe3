import { DurableObject } from "cloudflare:workers";
import {
  CLOSE_ACCOUNT_DELETED,
  PING_FRAME,
  PONG_FRAME,
  type BlockedUser,
  type CallEndReason,
  type CallInfo,
  type ChatSummary,
  type GroupCallInfo,
  type HistoryEnvelope,
  type HistoryStatus,
  type Contact,
  type Device,
  type KeysStatus,
  type Me,
  type Presence,
  type PublishKeysBody,
  type PublicProfile,
  type PushStatus,
  type PushSubscriptionBody,
  type ServerFrame,
  type Settings,
  type StoredMessage,
} from "../protocol/index.ts";
import { countedSql, countInvocation } from "../worker/dev-counters.ts";
import { chatRoom, type Env } from "../worker/env.ts";
import { errorMessage, log } from "../worker/log.ts";
import { catchApiError, type Result } from "../worker/result.ts";
import type { ChatUpdate, ReceiptUpdate } from "./chat-room/types.ts";
import { migrate } from "./schema.ts";
import { CallRecords } from "./user-hub/call-store.ts";
import { HubCalls, type RingResult } from "./user-hub/calls.ts";
import { Connections } from "./user-hub/connections.ts";
import { ContactStore } from "./user-hub/contact-store.ts";
import {
  ContactBook,
  type DiscoverResult,
  type ImportResult,
  type SavedContact,
} from "./user-hub/contacts.ts";
import { DiscoveryQuota } from "./user-hub/discovery.ts";
import { eraseTables, isErased, type ErasedAccount } from "./user-hub/erase.ts";
import { dispatchFrame } from "./user-hub/frames.ts";
import {
  HubGroupCalls,
  type GroupCallSummary,
} from "./user-hub/group-calls.ts";
import { HistoryTransfers } from "./user-hub/history.ts";
import { HistoryStore } from "./user-hub/history-store.ts";
import { Inbox } from "./user-hub/inbox.ts";
import { KeyStore } from "./user-hub/key-store.ts";
import { KeyDirectory, type ClaimedKeyPackage } from "./user-hub/keys.ts";
import { Notifier } from "./user-hub/notifications.ts";
import { PresenceKeeper, type TypingFrame } from "./user-hub/presence.ts";
import { PresenceStore } from "./user-hub/presence-store.ts";
import { profileFor } from "./user-hub/profile.ts";
import { PushStore } from "./user-hub/push-store.ts";
import { applyReceipt } from "./user-hub/read.ts";
import { RoomSends } from "./user-hub/room-sends.ts";
import * as sessions from "./user-hub/sessions.ts";
import type { NewSession } from "./user-hub/sessions.ts";
import {
  DeviceSockets,
  idleLimitFrom,
  readAttachment,
  sendBudgetFrom,
  type SendBudget,
} from "./user-hub/sockets.ts";
import { HUB_MIGRATIONS, HubStore, type InboxPatch } from "./user-hub/store.ts";

/**
 * One person (named by their user id): profile, settings, devices with
 * hashed session secrets, the chat list, and the WebSockets of their
 * devices. Sockets hibernate, and the runtime replies to pings without
 * waking the object.
 */
export class UserHub extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly store: HubStore;
  private readonly sockets: DeviceSockets;
  private readonly presence: PresenceStore;
  private readonly keeper: PresenceKeeper;
  private readonly contacts: ContactBook;
  private readonly inbox: Inbox;
  private readonly connections: Connections;
  private readonly sendBudget: SendBudget;
  private readonly keys: KeyDirectory;
  private readonly pushStore: PushStore;
  private readonly notifier: Notifier;
  private readonly history: HistoryTransfers;
  private readonly calls: HubCalls;
  private readonly groupCalls: HubGroupCalls;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sendBudget = sendBudgetFrom(env);
    const sql = countedSql(env, "UserHub", ctx.storage.sql);
    this.sql = sql;
    this.store = new HubStore(sql);
    this.sockets = new DeviceSockets(
      ctx,
      idleLimitFrom(env.PRESENCE_TIMEOUT_MS),
    );
    this.presence = new PresenceStore(sql);
    this.keeper = new PresenceKeeper(
      env,
      this.store,
      this.presence,
      this.sockets,
      (promise) => ctx.waitUntil(promise),
    );
    this.contacts = new ContactBook(
      env,
      this.store,
      new ContactStore(sql),
      this.presence,
      new DiscoveryQuota(sql),
      this.keeper,
      (frame) => this.sockets.broadcast(frame),
    );
    this.pushStore = new PushStore(sql);
    this.notifier = new Notifier(
      env,
      this.store,
      this.pushStore,
      this.sockets,
      (promise) => ctx.waitUntil(promise),
    );
    this.inbox = new Inbox(
      env,
      this.store,
      (frame) => this.sockets.broadcast(frame),
      this.notifier,
    );
    this.keys = new KeyDirectory(this.store, new KeyStore(sql), (id, frame) =>
      this.sockets.sendToDevice(id, frame),
    );
    this.history = new HistoryTransfers(
      this.store,
      new HistoryStore(sql),
      env.MEDIA,
      (id, frame) => this.sockets.sendToDevice(id, frame),
    );
    this.calls = new HubCalls(
      env,
      new CallRecords(sql),
      this.sockets,
      this.notifier,
    );
    this.groupCalls = new HubGroupCalls(
      this.store,
      this.sockets,
      this.notifier,
    );
    this.connections = new Connections(
      env,
      this.store,
      this.sockets,
      this.keeper,
      this.inbox,
      new RoomSends(env),
      // Reads the field at each call because tests replace the budget.
      (deviceId) => this.sendBudget.take(deviceId),
      this.keys,
      this.notifier,
      this.history,
      this.calls,
    );
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME),
    );
    // SQLite calls are synchronous; the gate still keeps requests out
    // until the schema is current.
    void ctx.blockConcurrencyWhile(() =>
      Promise.resolve(migrate(sql, HUB_MIGRATIONS)),
    );
  }

  // ---- account and sessions --------------------------------------------

  /**
   * Creates a device session, creating the profile on first sign-in, and
   * starts the device's history transfer when the person has other
   * devices.
   */
  async createSession(
    userId: string,
    phone: string,
    deviceName: string,
  ): Promise<NewSession> {
    const session = await sessions.createSession(
      this.store,
      userId,
      phone,
      deviceName,
    );
    this.history.begin(session.deviceId, deviceName, Date.now());
    return session;
  }

  /** Returns the account when `secret` belongs to a live device, else null. */
  async authenticate(deviceId: string, secret: string): Promise<Me | null> {
    return sessions.authenticate(this.store, deviceId, secret);
  }

  /**
   * Returns this person's profile as `viewerId` may see it under the
   * about and photo audiences, or null when the account does not exist.
   */
  getProfile(viewerId: string): PublicProfile | null {
    const me = this.store.me();
    if (me === undefined) return this.deletedProfile();
    return profileFor(me, {
      self: viewerId === me.id,
      contact: this.presence.isContact(viewerId),
      blocked: this.presence.isBlocked(viewerId),
    });
  }

  /** Returns whether this hub's account exists, was deleted, or never was. */
  accountState(): "active" | "deleted" | "none" {
    if (this.store.me() !== undefined) return "active";
    return isErased(this.sql) ? "deleted" : "none";
  }

  /** Returns the profile shown for a deleted account, or null if none. */
  private deletedProfile(): PublicProfile | null {
    const row = this.sql
      .exec<{ user_id: string }>("SELECT user_id FROM deleted_account")
      .toArray()[0];
    if (row === undefined) return null;
    return {
      id: row.user_id,
      phone: "",
      displayName: "",
      about: "",
      photoId: null,
      deleted: true,
    };
  }

  /**
   * Erases the account held here: profile, settings, devices and their
   * sessions, push subscriptions, KeyPackages, contacts, blocks, the chat
   * list and history transfers. Every socket closes with
   * CLOSE_ACCOUNT_DELETED. A tombstone stays, so requests with old
   * sessions get `account_deleted`. The Worker erases the chats, R2
   * objects and the phone number first. Returns null when there is no
   * account.
   */
  async deleteAccount(): Promise<ErasedAccount | null> {
    const me = this.store.me();
    if (me === undefined) return null;
    const erased: ErasedAccount = { deviceIds: this.activeDeviceIds() };
    eraseTables(this.sql, me, Date.now());
    this.store.forgetCache();
    this.pushStore.forgetCache();
    await this.ctx.storage.deleteAlarm();
    for (const deviceId of erased.deviceIds) {
      this.sockets.closeDevice(
        deviceId,
        CLOSE_ACCOUNT_DELETED,
        "account deleted",
      );
    }
    log("account.erased", { userId: me.id, devices: erased.deviceIds.length });
    return erased;
  }

  /** Ids of every chat in this person's list, left ones included. */
  chatIds(): string[] {
    return this.store.allChatIds();
  }

  updateProfile(patch: { displayName?: string; about?: string }): Me {
    this.store.updateProfile(patch);
    return this.requireMe();
  }

  /**
   * Sets the id of the current profile photo, or null to remove it. The
   * caller stores and deletes the image itself.
   */
  setPhoto(photoId: string | null): Me {
    this.store.setPhoto(photoId);
    return this.requireMe();
  }

  /** Stores settings; a read receipts change reaches every direct chat. */
  updateSettings(patch: Partial<Settings>): Me {
    this.store.updateSettings(patch);
    const me = this.requireMe();
    if (patch.lastSeen !== undefined) this.keeper.privacyChanged(Date.now());
    if (patch.readReceipts !== undefined) {
      const share = patch.readReceipts;
      const chats = this.store.directChatIds();
      this.ctx.waitUntil(
        Promise.all(
          chats.map((id) => chatRoom(this.env, id).setShareRead(me.id, share)),
        ),
      );
    }
    return me;
  }

  listDevices(currentDeviceId: string): Device[] {
    return sessions.listDevices(this.store, currentDeviceId);
  }

  /**
   * Ends a device's session, deletes its push subscription and history
   * transfer, and closes its sockets with 4001 at once.
   */
  async revokeDevice(deviceId: string): Promise<boolean> {
    this.keys.deleteDevice(deviceId);
    this.pushStore.delete(deviceId);
    const existed = sessions.revokeDevice(this.store, this.sockets, deviceId);
    await this.history.deleteDevice(deviceId);
    return existed;
  }

  // ---- Web Push -------------------------------------------------------------

  /** Returns whether a device has a push subscription. */
  pushStatus(deviceId: string): PushStatus {
    return { subscribed: this.pushStore.subscription(deviceId) !== undefined };
  }

  /** Stores or replaces the push subscription of a signed-in device. */
  subscribePush(deviceId: string, body: PushSubscriptionBody): PushStatus {
    if (this.store.device(deviceId) === undefined) {
      throw new Error(`device ${deviceId} is not signed in`);
    }
    this.pushStore.put(deviceId, body, Date.now());
    log("push.subscribed", {
      userId: this.store.me()?.id,
      deviceId,
      origin: new URL(body.endpoint).origin,
    });
    return { subscribed: true };
  }

  /** Deletes the push subscription of a device. */
  unsubscribePush(deviceId: string): PushStatus {
    if (this.pushStore.delete(deviceId)) {
      log("push.unsubscribed", { userId: this.store.me()?.id, deviceId });
    }
    return { subscribed: false };
  }

  /**
   * Moves this person's read position in a chat as a `read` receipt frame
   * from `deviceId` would, for a device without a socket.
   */
  async markRead(
    deviceId: string,
    chatId: string,
    seq: number,
  ): Promise<Result<null>> {
    const me = this.requireMe();
    return catchApiError(async () => {
      await applyReceipt(
        {
          env: this.env,
          store: this.store,
          notifier: this.notifier,
          userId: me.id,
          deviceId,
          sharesRead: me.settings.readReceipts,
          broadcast: (frame) => this.sockets.broadcast(frame),
        },
        chatId,
        "read",
        seq,
      );
      return null;
    });
  }

  // ---- MLS KeyPackages -----------------------------------------------------

  /** Returns the KeyPackage stock of one of this person's devices. */
  keyStatus(deviceId: string): KeysStatus {
    return this.keys.status(deviceId);
  }

  /** Adds KeyPackages to a device's stock as KeyDirectory.publish does. */
  publishKeyPackages(
    deviceId: string,
    body: PublishKeysBody,
  ): Result<KeysStatus> {
    return this.keys.publish(deviceId, body, Date.now());
  }

  /**
   * Takes one KeyPackage for each named device of this person. A device
   * that is unknown or has neither stock nor a last resort gets null.
   */
  claimKeyPackages(deviceIds: string[]): ClaimedKeyPackage[] {
    return this.keys.claim(deviceIds);
  }

  /**
   * Takes one KeyPackage of another device of this person, for sending it
   * the chat history: `invalid_request` for the caller's own device,
   * `not_found` for an unknown device or one without KeyPackages.
   */
  claimOwnKeyPackage(callerId: string, deviceId: string): Result<string> {
    return this.keys.claimOwn(callerId, deviceId);
  }

  // ---- link and sync -------------------------------------------------------

  /** Returns the history transfer of a device, as GET /api/history does. */
  async historyStatus(deviceId: string): Promise<HistoryStatus> {
    return this.history.status(deviceId, Date.now());
  }

  /** Returns the R2 key for an archive upload, as HistoryTransfers.uploadKey. */
  async historyUploadKey(
    uploaderId: string,
    targetId: string,
  ): Promise<Result<string>> {
    return this.history.uploadKey(uploaderId, targetId, Date.now());
  }

  /** Accepts an archive's envelope, as HistoryTransfers.attach does. */
  async attachHistory(
    uploaderId: string,
    targetId: string,
    envelope: HistoryEnvelope,
  ): Promise<Result<HistoryStatus>> {
    return this.history.attach(uploaderId, targetId, envelope, Date.now());
  }

  /** Deletes an uploader's archive after its envelope was rejected. */
  async discardHistoryArchive(
    uploaderId: string,
    targetId: string,
  ): Promise<void> {
    await this.history.discard(uploaderId, targetId);
  }

  /** Returns the R2 key of the archive waiting for a `ready` device. */
  async historyArchiveKey(deviceId: string): Promise<Result<string>> {
    return this.history.archiveKey(deviceId, Date.now());
  }

  /** Ends a device's transfer, as DELETE /api/history does. */
  async finishHistory(deviceId: string): Promise<HistoryStatus> {
    return this.history.finish(deviceId, Date.now());
  }

  // ---- MLS group devices ---------------------------------------------------

  /** Returns the ids of this account's devices. Revoking deletes a device. */
  activeDeviceIds(): string[] {
    return this.store.devices().map((device) => device.id);
  }

  /** Sends one frame to every open socket of this person. */
  broadcastFrame(frame: ServerFrame): void {
    this.sockets.broadcast(frame);
  }

  // ---- calls (user-hub/calls.ts) -------------------------------------------

  /** Rings this person for a call, or returns "busy" (HubCalls.ring). */
  async callRing(call: CallInfo): Promise<RingResult> {
    return this.calls.ring(call);
  }

  /** Sends a call frame to one device of this person, or to all (null). */
  callFrame(deviceId: string | null, frame: ServerFrame): void {
    this.calls.frame(deviceId, frame);
  }

  /** Tells the answering device and the others that a call was accepted. */
  callAccepted(
    deviceId: string,
    state: Extract<ServerFrame, { type: "call.state" }>,
    elsewhere: Extract<ServerFrame, { type: "call.ended" }>,
  ): void {
    this.calls.accepted(deviceId, state, elsewhere);
  }

  /** Ends a call on every device and clears it (HubCalls.ended). */
  callEnded(
    frame: Extract<ServerFrame, { type: "call.ended" }>,
    acting?: { deviceId: string; elsewhere: CallEndReason },
  ): void {
    this.calls.ended(frame, acting);
  }

  /**
   * Declines a call that rings this person, for a device without a
   * socket; false when no such call rings.
   */
  async declineCall(deviceId: string, callId: string): Promise<boolean> {
    const current = this.calls.ringingCall(callId);
    if (current === undefined) return false;
    const room = chatRoom(this.env, current.chatId);
    const me = this.requireMe();
    const result = await room.callDecline({ userId: me.id, deviceId }, callId);
    return result.ok;
  }

  // ---- group calls (user-hub/group-calls.ts) -------------------------------

  /** Stores a chat's running group call and sends `frame` to every device. */
  groupCallChanged(
    chatId: string,
    summary: GroupCallSummary | null,
    frame: ServerFrame,
  ): void {
    this.groupCalls.changed(chatId, summary, frame);
  }

  /** Rings this person for a group call; true when a push went out. */
  groupCallRing(call: GroupCallInfo): boolean {
    return this.groupCalls.ring(call);
  }

  /** Stops this person's devices ringing for a group call. */
  groupCallRingStopped(chatId: string, callId: string, pushed: boolean): void {
    this.groupCalls.ringStopped(chatId, callId, pushed);
  }

  // ---- contacts and blocks -------------------------------------------------

  /**
   * Lists the contacts, first resolving the numbers of migrated rows. Then,
   * in the background, checks numbers the daily limit left unchecked.
   */
  async listContacts(): Promise<Contact[]> {
    const contacts = await this.contacts.list();
    const userId = this.store.me()?.id;
    this.ctx.waitUntil(
      this.contacts.checkUnchecked().catch((error: unknown) => {
        log("contacts.unchecked_failed", {
          userId,
          error: errorMessage(error),
        });
      }),
    );
    return contacts;
  }

  /**
   * Saves or renames the contact of an E.164 number and checks the number
   * for an account within the daily discovery limit, or without a check
   * when `knownUserId` is the account using the number.
   */
  async putContact(
    phone: string,
    name: string,
    knownUserId?: string,
  ): Promise<Result<SavedContact>> {
    return this.contacts.put(phone, name, knownUserId);
  }

  /** Deletes the contact of a number; false when there was none. */
  async deleteContact(phone: string): Promise<boolean> {
    return this.contacts.delete(phone);
  }

  /** Saves many contacts and checks as many numbers as the limit allows. */
  async importContacts(
    entries: { phone: string; name: string }[],
  ): Promise<Result<ImportResult>> {
    return this.contacts.import(entries);
  }

  /** Checks numbers for accounts; rate_limited over the daily limit. */
  async discoverContacts(phones: string[]): Promise<Result<DiscoverResult>> {
    return this.contacts.discover(phones);
  }

  /**
   * Checks one number for an account, counting against the daily
   * discovery limit; the profile is null when no account uses it.
   */
  async lookupNumber(phone: string): Promise<Result<PublicProfile | null>> {
    return this.contacts.lookup(phone);
  }

  /**
   * Links the saved contact of `phone` to `userId`, the account just
   * created for the number; PhoneDirectory.announceJoin calls it. Returns
   * whether the number is still saved.
   */
  numberJoined(phone: string, userId: string): boolean {
    return this.contacts.joined(phone, userId);
  }

  /**
   * Unlinks the saved contact of `phone` from `userId`, whose account was
   * deleted; PhoneDirectory.release calls it. Returns whether the number
   * is still saved.
   */
  numberReleased(phone: string, userId: string): boolean {
    return this.contacts.released(phone, userId);
  }

  listBlocked(): BlockedUser[] {
    return this.presence.blocked();
  }

  /** Blocks a person: they see none of this person's presence or typing. */
  block(userId: string): Result<null> {
    return this.contacts.block(this.store.me()?.id, userId);
  }

  unblock(userId: string): boolean {
    return this.contacts.unblock(userId);
  }

  // ---- presence and typing --------------------------------------------------

  /**
   * Subscribes (or unsubscribes) the hub of `watcherId`, whose device views
   * this person, to presence changes; returns what the watcher may see.
   */
  watchPresence(watcherId: string, on: boolean): Presence {
    return this.keeper.watch(watcherId, on, Date.now());
  }

  /** Receives the presence of a person this hub watches. */
  presenceChanged(userId: string, presence: Presence): void {
    this.keeper.presenceChanged(userId, presence);
  }

  /** Receives a chat member's typing state from a ChatRoom. */
  typingChanged(frame: Omit<TypingFrame, "type">): void {
    this.keeper.typingChanged({ type: "typing", ...frame });
  }

  /** This person's own presence, unfiltered; for tests and diagnostics. */
  ownPresence(): Presence {
    return this.presence.own();
  }

  // ---- chat list ---------------------------------------------------------

  updateInbox(chatId: string, patch: InboxPatch): Result<ChatSummary> {
    return this.inbox.updateInbox(chatId, patch);
  }

  /** Merges a ChatRoom's view of a chat, then records `messages`. */
  applyChat(update: ChatUpdate, messages: StoredMessage[]): ChatSummary {
    return this.inbox.applyChat(update, messages);
  }

  /**
   * Records a message this person sent over HTTP, from the room's reply,
   * and sends it to every device. The room does not call the sender's hub.
   */
  async recordSent(message: StoredMessage): Promise<void> {
    await this.inbox.deliver(message);
  }

  /**
   * Records live messages of one chat from its ChatRoom, in sequence
   * order, and sends them to every device. Messages an earlier attempt of
   * the same call recorded are skipped.
   */
  async deliver(messages: StoredMessage[]): Promise<void> {
    await this.inbox.deliverFromRoom(messages);
  }

  /**
   * Sends members' receipt positions to every device. A person with read
   * receipts off gets others' read positions as 0 in one-to-one chats.
   */
  receiptsChanged(receipts: ReceiptUpdate[]): void {
    for (const receipt of receipts) this.inbox.receiptChanged(receipt);
  }

  /** Sends `deleted` to every device and stores a recounted `unread`. */
  messageDeleted(
    chatId: string,
    id: string,
    seq: number,
    unread: number | null,
  ): void {
    this.inbox.messageDeleted(chatId, id, seq, unread);
  }

  private requireMe(): Me {
    return sessions.requireMe(this.store);
  }

  /**
   * Takes one send from a device's budget for a send over HTTP, which shares
   * the budget of the device's socket sends. Returns 0, or the seconds to
   * wait.
   */
  takeSendToken(deviceId: string): number {
    return this.sendBudget.take(deviceId);
  }

  // ---- sockets -------------------------------------------------------------

  /** Accepts a WebSocket the Worker already authenticated. */
  override async fetch(request: Request): Promise<Response> {
    return this.connections.accept(request);
  }

  override async webSocketMessage(
    ws: WebSocket,
    data: string | ArrayBuffer,
  ): Promise<void> {
    countInvocation(this.env, "UserHub", "webSocketMessage");
    const attachment = readAttachment(ws);
    const me = this.store.me();
    if (attachment === undefined || me === undefined) return;
    // Storing the attachment costs a serialization, so a busy socket
    // refreshes lastFrameAt at most once per tenth of the idle limit.
    const now = Date.now();
    if (now - attachment.lastFrameAt >= this.sockets.idleLimitMs / 10) {
      attachment.lastFrameAt = now;
      ws.serializeAttachment(attachment);
    }
    await dispatchFrame(
      this.connections.frameContext(ws, me.id, attachment.deviceId),
      data,
    );
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    countInvocation(this.env, "UserHub", "webSocketClose");
    const attachment = readAttachment(ws);
    log("socket.closed", {
      userId: this.store.me()?.id,
      deviceId: attachment?.deviceId,
      code,
    });
    await this.connections.socketGone(ws, attachment);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    countInvocation(this.env, "UserHub", "webSocketError");
    const attachment = readAttachment(ws);
    log("socket.error", {
      deviceId: attachment?.deviceId,
      error: errorMessage(error),
    });
    await this.connections.socketGone(ws, attachment);
  }

  /**
   * Closes sockets that stopped pinging, marks the person offline when none
   * is left, and renews presence subscriptions. Runs only while sockets
   * are open.
   */
  override async alarm(): Promise<void> {
    countInvocation(this.env, "UserHub", "alarm");
    const now = Date.now();
    const gone = await this.sockets.sweep(now);
    if (this.store.me() === undefined) return;
    await this.keeper.socketsGone(gone, now);
  }

  /** Devices with an open socket that showed life within the idle limit. */
  liveDeviceIds(now = Date.now()): string[] {
    return this.sockets.liveDeviceIds(now);
  }
}
