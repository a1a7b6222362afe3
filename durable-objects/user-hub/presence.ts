import type {
  Presence,
  ServerFrame,
  TypingState,
} from "../../protocol/index.ts";
import { chatRoom, userHub, type Env } from "../../worker/env.ts";
import { assertNever, errorMessage, log } from "../../worker/log.ts";
import type { PresenceStore } from "./presence-store.ts";
import { send, type DeviceSockets, type SocketAttachment } from "./sockets.ts";
import type { HubStore } from "./store.ts";

/**
 * A watcher registration lasts this long unless the watcher's hub renews
 * it, so a lost unsubscribe cannot keep waking this hub for ever.
 */
export const WATCH_TTL_MS = 10 * 60_000;

/** Subscriptions older than this are renewed at the next view or sweep. */
export const RENEW_AFTER_MS = 5 * 60_000;

/** What a person sees of someone whose presence is hidden from them. */
export const HIDDEN: Presence = { online: false, lastSeen: null };

/** Frame sent to devices about a person's typing in a chat. */
export type TypingFrame = Extract<ServerFrame, { type: "typing" }>;

/**
 * Presence of one person, kept in their UserHub: online while any device
 * socket is open, last seen when the last one went. Only hubs that
 * subscribed (because one of their devices views this person) hear of a
 * change, and each hub subscribes only to the people and chats its devices
 * view, so nobody's presence fans out to their whole contact list.
 */
export class PresenceKeeper {
  constructor(
    private readonly env: Env,
    private readonly store: HubStore,
    private readonly presence: PresenceStore,
    private readonly sockets: DeviceSockets,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  private userId(): string {
    const me = this.store.me();
    if (me === undefined) throw new Error("profile missing");
    return me.id;
  }

  /**
   * Whether this person shares presence with `otherId`. The same rule
   * filters what this person sees of others, which makes it reciprocal:
   * with "nobody" they see nobody, with "contacts" only their contacts.
   */
  sharesWith(otherId: string): boolean {
    if (this.presence.isBlocked(otherId)) return false;
    const setting = this.store.me()?.settings.lastSeen ?? "everyone";
    switch (setting) {
      case "everyone":
        return true;
      case "contacts":
        return this.presence.isContact(otherId);
      case "nobody":
        return false;
      default:
        return assertNever(setting);
    }
  }

  /** This person's presence as `viewerId` may see it. */
  presenceFor(viewerId: string): Presence {
    return this.sharesWith(viewerId) ? this.presence.own() : HIDDEN;
  }

  /** Subscribes or unsubscribes a watcher; returns what it may see now. */
  watch(watcherId: string, on: boolean, now: number): Presence {
    if (on) this.presence.addWatcher(watcherId, now + WATCH_TTL_MS);
    else this.presence.removeWatcher(watcherId);
    return this.presenceFor(watcherId);
  }

  /** Sends each live watcher's hub this person's presence, filtered. */
  notifyWatchers(now: number): void {
    const userId = this.userId();
    for (const watcherId of this.presence.watchers(now)) {
      const presence = this.presenceFor(watcherId);
      const hub = userHub(this.env, watcherId);
      this.waitUntil(
        hub.presenceChanged(userId, presence).catch((error: unknown) => {
          log("presence.notify_failed", {
            userId,
            watcherId,
            error: errorMessage(error),
          });
        }),
      );
    }
  }

  /**
   * Moves between online and offline when the count of open sockets
   * requires it.
   * `except` is a socket that is closing but may still be listed.
   */
  async refresh(now: number, except?: WebSocket): Promise<void> {
    const online = this.sockets.open(except).length > 0;
    if (online !== this.presence.own().online) {
      this.presence.setOnline(online, now);
      log(online ? "presence.online" : "presence.offline", {
        userId: this.userId(),
      });
      this.notifyWatchers(now);
    }
    await this.subscribe(now, except);
  }

  /** Handles a socket that closed or died, with its last state. */
  async socketsGone(
    gone: SocketAttachment[],
    now: number,
    except?: WebSocket,
  ): Promise<void> {
    for (const attachment of gone) {
      for (const chatId of attachment.typingIn ?? []) {
        this.forwardTyping(chatId, "idle");
      }
    }
    await this.refresh(now, except);
  }

  /** Stores a device's view, then sends it what it now views. */
  async setView(
    ws: WebSocket,
    attachment: SocketAttachment,
    view: { chatId: string | null; listed: string[] },
    now: number,
  ): Promise<void> {
    attachment.viewChatId = view.chatId;
    attachment.viewListed = view.listed;
    ws.serializeAttachment(attachment);
    await this.subscribe(now);
    for (const peerId of this.peersOf(attachment)) {
      const frame = this.presenceFrame(peerId);
      if (frame !== undefined) send(ws, frame);
    }
  }

  /** Records a device's composer state and relays it through the room. */
  setTyping(
    ws: WebSocket,
    attachment: SocketAttachment,
    chatId: string,
    state: TypingState,
  ): void {
    const typingIn = new Set(attachment.typingIn ?? []);
    if (state === "idle") typingIn.delete(chatId);
    else typingIn.add(chatId);
    attachment.typingIn = [...typingIn];
    ws.serializeAttachment(attachment);
    this.forwardTyping(chatId, state);
  }

  private forwardTyping(chatId: string, state: TypingState): void {
    const chat = this.store.chat(chatId);
    if (chat === undefined || chat.left) return;
    // A person this one blocked sees none of their typing.
    if (chat.peerId !== null && this.presence.isBlocked(chat.peerId)) return;
    const userId = this.userId();
    const room = chatRoom(this.env, chatId);
    this.waitUntil(
      room.typing(userId, state).catch((error: unknown) => {
        log("hub.typing_failed", {
          userId,
          chatId,
          error: errorMessage(error),
        });
      }),
    );
  }

  /** Sends a member's typing to this person's devices viewing the chat. */
  typingChanged(frame: TypingFrame): void {
    const chat = this.store.chat(frame.chatId);
    if (chat === undefined || chat.left) return;
    if (this.presence.isBlocked(frame.userId)) return;
    for (const { ws, attachment } of this.sockets.open()) {
      if (chatsOf(attachment).has(frame.chatId)) send(ws, frame);
    }
  }

  /** Stores a watched person's presence and sends it to their viewers. */
  presenceChanged(peerId: string, presence: Presence): void {
    if (!this.presence.cachePresence(peerId, presence)) return;
    this.pushPresence(peerId);
  }

  /** Resends cached presence after this person's privacy changed. */
  privacyChanged(now: number): void {
    this.notifyWatchers(now);
    for (const { id } of this.presence.watching()) this.pushPresence(id);
  }

  private pushPresence(peerId: string): void {
    const frame = this.presenceFrame(peerId);
    if (frame === undefined) return;
    for (const { ws, attachment } of this.sockets.open()) {
      if (this.peersOf(attachment).has(peerId)) send(ws, frame);
    }
  }

  private presenceFrame(peerId: string): ServerFrame | undefined {
    const cached = this.presence.cachedPresence(peerId);
    if (cached === undefined) return undefined;
    const visible = this.sharesWith(peerId) ? cached : HIDDEN;
    return { type: "presence", userId: peerId, ...visible };
  }

  /** The other person of each direct chat a device views. */
  private peersOf(attachment: SocketAttachment): Set<string> {
    const peers = new Set<string>();
    for (const chatId of chatsOf(attachment)) {
      const chat = this.store.chat(chatId);
      if (chat?.kind === "direct" && chat.peerId !== null && !chat.left) {
        peers.add(chat.peerId);
      }
    }
    return peers;
  }

  /**
   * Brings the subscriptions at other hubs (watching) and rooms (viewing)
   * in line with what the open sockets view, renewing old ones.
   */
  private async subscribe(now: number, except?: WebSocket): Promise<void> {
    const peers = new Set<string>();
    const chats = new Set<string>();
    for (const { attachment } of this.sockets.open(except)) {
      for (const peer of this.peersOf(attachment)) peers.add(peer);
      for (const chatId of chatsOf(attachment)) {
        if (this.store.chat(chatId) !== undefined) chats.add(chatId);
      }
    }
    this.syncViewing(chats, now);
    await this.syncWatching(peers, now);
  }

  private syncViewing(chats: Set<string>, now: number): void {
    const userId = this.userId();
    const current = this.presence.viewing();
    for (const { id, renewedAt } of current) {
      if (chats.has(id) && now - renewedAt < RENEW_AFTER_MS) chats.delete(id);
      else if (!chats.has(id)) {
        this.presence.removeViewing(id);
        this.callRoom(id, () =>
          chatRoom(this.env, id).setViewer(userId, false),
        );
      }
    }
    for (const id of chats) {
      this.presence.setViewing(id, now);
      this.callRoom(id, () => chatRoom(this.env, id).setViewer(userId, true));
    }
  }

  private async syncWatching(peers: Set<string>, now: number): Promise<void> {
    const userId = this.userId();
    for (const { id, renewedAt } of this.presence.watching()) {
      if (peers.has(id) && now - renewedAt < RENEW_AFTER_MS) peers.delete(id);
      else if (!peers.has(id)) {
        this.presence.removeWatching(id);
        this.waitUntil(this.unwatch(userId, id));
      }
    }
    await Promise.all(
      [...peers].map(async (peerId) => {
        try {
          const hub = userHub(this.env, peerId);
          const presence = await hub.watchPresence(userId, true);
          this.presence.setWatching(peerId, presence, now);
        } catch (error) {
          log("presence.watch_failed", {
            userId,
            peerId,
            error: errorMessage(error),
          });
        }
      }),
    );
  }

  private async unwatch(userId: string, peerId: string): Promise<void> {
    try {
      await userHub(this.env, peerId).watchPresence(userId, false);
    } catch (error) {
      // The peer's registration expires by itself after WATCH_TTL_MS.
      log("presence.unwatch_failed", {
        userId,
        peerId,
        error: errorMessage(error),
      });
    }
  }

  private callRoom(chatId: string, call: () => Promise<void>): void {
    this.waitUntil(
      call().catch((error: unknown) => {
        log("hub.viewer_failed", { chatId, error: errorMessage(error) });
      }),
    );
  }
}

/** The chats a device views: the open one and the listed rows. */
function chatsOf(attachment: SocketAttachment): Set<string> {
  const chats = new Set(attachment.viewListed ?? []);
  if (attachment.viewChatId) chats.add(attachment.viewChatId);
  return chats;
}
