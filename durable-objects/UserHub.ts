import { DurableObject } from "cloudflare:workers";
import {
  CLOSE_SESSION_REVOKED,
  PING_FRAME,
  PONG_FRAME,
  SEND_BURST,
  SENDS_PER_SECOND,
  MAX_BLOCKED,
  MAX_CONTACTS,
  type BlockedUser,
  type ChatSummary,
  type Contact,
  type Device,
  type Me,
  type Presence,
  type PublicProfile,
  type ServerFrame,
  type Settings,
  type StoredMessage,
} from "../protocol/index.ts";
import {
  base64url,
  constantTimeEqual,
  randomBytes,
  sha256Hex,
} from "../worker/crypto.ts";
import { chatRoom, type Env } from "../worker/env.ts";
import { errorMessage, log } from "../worker/log.ts";
import { fail, ok, type Result } from "../worker/result.ts";
import { v7 as uuidv7 } from "uuid";
import type { ChatUpdate, ReceiptUpdate } from "./chat-room/types.ts";
import { migrate } from "./schema.ts";
import { dispatchFrame, type FrameContext } from "./user-hub/frames.ts";
import { PresenceKeeper, type TypingFrame } from "./user-hub/presence.ts";
import { PresenceStore } from "./user-hub/presence-store.ts";
import {
  DeviceSockets,
  heartbeatFor,
  idleLimitFrom,
  readAttachment,
  send,
  SendBudget,
} from "./user-hub/sockets.ts";
import { HUB_MIGRATIONS, HubStore, type InboxPatch } from "./user-hub/store.ts";

/** lastActiveAt is written at most this often per device. */
const TOUCH_INTERVAL_MS = 60_000;

export interface NewSession {
  deviceId: string;
  /** 32 random bytes, base64url; only its SHA-256 is stored. */
  secret: string;
  me: Me;
}

/**
 * One person (named by their user id): profile, settings, devices with
 * hashed session secrets, the chat list, and the WebSockets of their
 * devices. Sockets hibernate, and the runtime replies to pings without
 * waking the object.
 */
export class UserHub extends DurableObject<Env> {
  private readonly store: HubStore;
  private readonly sockets: DeviceSockets;
  private readonly presence: PresenceStore;
  private readonly keeper: PresenceKeeper;
  private readonly sendBudget = new SendBudget(SENDS_PER_SECOND, SEND_BURST);

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new HubStore(ctx.storage.sql);
    this.sockets = new DeviceSockets(
      ctx,
      idleLimitFrom(env.PRESENCE_TIMEOUT_MS),
    );
    this.presence = new PresenceStore(ctx.storage.sql);
    this.keeper = new PresenceKeeper(
      env,
      this.store,
      this.presence,
      this.sockets,
      (promise) => ctx.waitUntil(promise),
    );
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME),
    );
    // SQLite calls are synchronous; the gate still keeps requests out
    // until the schema is current.
    void ctx.blockConcurrencyWhile(() =>
      Promise.resolve(migrate(ctx.storage.sql, HUB_MIGRATIONS)),
    );
  }

  // ---- account and sessions --------------------------------------------

  /** Creates a device session, creating the profile on first sign-in. */
  async createSession(
    userId: string,
    phone: string,
    deviceName: string,
  ): Promise<NewSession> {
    const now = Date.now();
    this.store.createProfile(userId, phone, now);
    const secretBytes = randomBytes(32);
    const secret = base64url(secretBytes);
    const deviceId = uuidv7();
    this.store.addDevice({
      id: deviceId,
      name: deviceName,
      secret_hash: await sha256Hex(secret),
      created_at: now,
      last_active_at: now,
    });
    log("session.created", { userId, deviceId });
    return { deviceId, secret, me: this.requireMe() };
  }

  /** Returns the account when `secret` belongs to a live device, else null. */
  async authenticate(deviceId: string, secret: string): Promise<Me | null> {
    const device = this.store.device(deviceId);
    const me = this.store.me();
    if (device === undefined || me === undefined) return null;
    const valid = await constantTimeEqual(
      await sha256Hex(secret),
      device.secret_hash,
    );
    if (!valid) return null;
    const now = Date.now();
    if (now - device.last_active_at >= TOUCH_INTERVAL_MS)
      this.store.touchDevice(deviceId, now);
    return me;
  }

  getProfile(): PublicProfile | null {
    return this.store.publicProfile() ?? null;
  }

  updateProfile(patch: { displayName?: string; about?: string }): Me {
    this.store.updateProfile(patch);
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
    return this.store.devices().map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      lastActiveAt: row.last_active_at,
      current: row.id === currentDeviceId,
    }));
  }

  /** Ends a device's session and closes its sockets with 4001 at once. */
  revokeDevice(deviceId: string): boolean {
    const existed = this.store.deleteDevice(deviceId);
    this.sockets.closeDevice(
      deviceId,
      CLOSE_SESSION_REVOKED,
      "session revoked",
    );
    log("session.revoked", { userId: this.store.me()?.id, deviceId, existed });
    return existed;
  }

  // ---- contacts and blocks -------------------------------------------------

  listContacts(): Contact[] {
    return this.presence.contacts();
  }

  /** Saves or renames a contact; contacts may see "contacts" presence. */
  putContact(userId: string, name: string): Result<Contact> {
    const isNew = !this.presence.isContact(userId);
    if (isNew && this.presence.contactCount() >= MAX_CONTACTS) {
      return fail(
        "too_large",
        `You have ${MAX_CONTACTS} contacts, the maximum. Remove one first.`,
      );
    }
    const contact = this.presence.putContact(userId, name, Date.now());
    this.keeper.privacyChanged(Date.now());
    return ok(contact);
  }

  deleteContact(userId: string): boolean {
    const existed = this.presence.deleteContact(userId);
    if (existed) this.keeper.privacyChanged(Date.now());
    return existed;
  }

  listBlocked(): BlockedUser[] {
    return this.presence.blocked();
  }

  /** Blocks a person: they see none of this person's presence or typing. */
  block(userId: string): Result<null> {
    const isNew = !this.presence.isBlocked(userId);
    if (isNew && this.presence.blockedCount() >= MAX_BLOCKED) {
      return fail(
        "too_large",
        `You blocked ${MAX_BLOCKED} people, the maximum. Unblock one first.`,
      );
    }
    this.presence.block(userId, Date.now());
    this.keeper.privacyChanged(Date.now());
    log("hub.blocked", { userId: this.store.me()?.id, blockedId: userId });
    return ok(null);
  }

  unblock(userId: string): boolean {
    const existed = this.presence.unblock(userId);
    if (existed) this.keeper.privacyChanged(Date.now());
    return existed;
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

  /** Records a live message from a ChatRoom and sends it to every device. */
  async deliver(message: StoredMessage): Promise<void> {
    const chat = this.store.chat(message.chatId);
    if (chat === undefined) {
      await this.fetchChatRow(message);
      return;
    }
    if (chat.left) {
      log("hub.delivery_skipped", { chatId: message.chatId, seq: message.seq });
      return;
    }
    this.recordMessage(message);
  }

  /**
   * Handles a message that arrived before its chat row: the room sends the
   * row and the messages separately, so the first message can win the race.
   * The row fetched now already counts `message`, which is only forwarded.
   */
  private async fetchChatRow(message: StoredMessage): Promise<void> {
    const userId = this.requireMe().id;
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

  private recordMessage(message: StoredMessage): void {
    const mine = message.senderId === this.store.me()?.id;
    const countsAsUnread = !mine && message.kind === "message";
    this.store.recordMessage(
      message.chatId,
      message.seq,
      message.ts,
      countsAsUnread,
    );
    this.broadcast({ type: "message", message });
  }

  private pushChat(chatId: string): ChatSummary {
    const chat = this.store.chat(chatId);
    if (chat === undefined) throw new Error(`inbox row ${chatId} missing`);
    this.broadcast({ type: "chat", chat });
    return chat;
  }

  private requireMe(): Me {
    const me = this.store.me();
    if (me === undefined) throw new Error("profile missing");
    return me;
  }

  // ---- sockets -------------------------------------------------------------

  /** Accepts a WebSocket the Worker already authenticated. */
  override async fetch(request: Request): Promise<Response> {
    const deviceId = request.headers.get("X-Device-Id") ?? "";
    const me = this.store.me();
    if (me === undefined || this.store.device(deviceId) === undefined) {
      return new Response("unknown device", { status: 401 });
    }
    const pair = new WebSocketPair();
    const server = pair[1];
    const now = Date.now();
    await this.sockets.accept(server, deviceId, now);
    send(server, {
      type: "ready",
      userId: me.id,
      deviceId,
      serverTime: now,
      heartbeatMs: heartbeatFor(this.sockets.idleLimitMs),
    });
    await this.keeper.refresh(now);
    log("socket.opened", { userId: me.id, deviceId });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(
    ws: WebSocket,
    data: string | ArrayBuffer,
  ): Promise<void> {
    const attachment = readAttachment(ws);
    const me = this.store.me();
    if (attachment === undefined || me === undefined) return;
    attachment.lastFrameAt = Date.now();
    ws.serializeAttachment(attachment);
    await dispatchFrame(
      this.frameContext(ws, me.id, attachment.deviceId),
      data,
    );
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    const attachment = readAttachment(ws);
    log("socket.closed", {
      userId: this.store.me()?.id,
      deviceId: attachment?.deviceId,
      code,
    });
    await this.socketGone(ws, attachment);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const attachment = readAttachment(ws);
    log("socket.error", {
      deviceId: attachment?.deviceId,
      error: errorMessage(error),
    });
    await this.socketGone(ws, attachment);
  }

  private async socketGone(
    ws: WebSocket,
    attachment: ReturnType<typeof readAttachment>,
  ): Promise<void> {
    if (this.store.me() === undefined) return;
    const gone = attachment === undefined ? [] : [attachment];
    await this.keeper.socketsGone(gone, Date.now(), ws);
  }

  /**
   * Closes sockets that stopped pinging, marks the person offline when none
   * is left, and renews presence subscriptions. Runs only while sockets
   * are open.
   */
  override async alarm(): Promise<void> {
    const now = Date.now();
    const gone = await this.sockets.sweep(now);
    if (this.store.me() === undefined) return;
    await this.keeper.socketsGone(gone, now);
  }

  /** Devices with an open socket that showed life within the idle limit. */
  liveDeviceIds(now = Date.now()): string[] {
    return this.sockets.liveDeviceIds(now);
  }

  private broadcast(frame: ServerFrame): void {
    this.sockets.broadcast(frame);
  }

  private frameContext(
    ws: WebSocket,
    userId: string,
    deviceId: string,
  ): FrameContext {
    return {
      env: this.env,
      store: this.store,
      userId,
      deviceId,
      reply: (frame) => send(ws, frame),
      setView: async (view) => {
        const attachment = readAttachment(ws);
        if (attachment === undefined) return;
        await this.keeper.setView(ws, attachment, view, Date.now());
      },
      setTyping: (chatId, state) => {
        const attachment = readAttachment(ws);
        if (attachment === undefined) return;
        this.keeper.setTyping(ws, attachment, chatId, state);
      },
      broadcast: (frame) => this.broadcast(frame),
      takeSendToken: () => this.sendBudget.take(deviceId),
      sharesRead: () => this.store.me()?.settings.readReceipts ?? true,
    };
  }
}
