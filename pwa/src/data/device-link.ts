import type { ClientFrame, ServerFrame } from "../../../protocol/index.ts";
import { loadContacts } from "./contacts.ts";
import { log } from "./log.ts";
import { pumpOutbox, setRemotePump } from "./outbox.ts";
import {
  adoptPresenceSnapshot,
  applyRelayedFrame,
  clearAllTyping,
  composerDisconnected,
  presenceSnapshot,
} from "./presence.ts";
import { flushReceipts } from "./receipts.ts";
import {
  ForwardedRequests,
  forwardRejection,
  relayedFrame,
  type OutgoingTabMessage,
  type TabMessage,
  type TabMessageType,
} from "./relay.ts";
import { ChatSocket } from "./socket.ts";
import { startEncryption, stopEncryption } from "./encryption.ts";
import { connection, session } from "./state.ts";
import { expectOlderPage, handleFrame, syncDisconnected } from "./sync.ts";
import { TabGroup, type TabRole } from "./tabs.ts";
import type { ConnectionState, Session } from "./types.ts";
import { setFollowerView, setViewPublisher } from "./view.ts";
import {
  failRequest,
  isLinked,
  isReplyFrame,
  sendFrame,
  setReplyRouter,
  setSender,
  settleRequest,
  type ReplyFrame,
} from "./wire.ts";

/**
 * The device's one socket, shared by all tabs of the app. The leader tab
 * (see TabGroup) runs the socket, the sync engine that writes Dexie and
 * the outbox pump. The other tabs read Dexie's live queries, which see
 * the leader's writes, and send everything else through the leader:
 * their view, typing, receipts and older-page requests. The leader relays
 * back the connection state, presence, typing and the replies they wait
 * for. A tab that takes over the lead connects and syncs from Dexie's
 * cursors, so nothing is missed, and the outbox resends its first entry
 * with the same id, which the server stores once.
 *
 * NOTE: the leader may be a hidden tab. Since Chrome 86 a page hidden for
 * 5 minutes runs repeating timers at most once a minute (chromestatus.com
 * feature 4718288976216064), so its 25 s heartbeat then comes about every
 * 60 s, close to the server's 70 s idle limit.
 */

export interface DeviceLinkHandlers {
  /** The server closed the socket: logged out, or the account deleted. */
  onRevoked(accountDeleted: boolean): void;
  /** Upgrades keep failing: check the session over HTTP. */
  onRepeatedFailure(): void;
  /** Another tab signed in or changed the account. */
  onSession(session: Session): void;
  /** Another tab logged out or found the session revoked. */
  onSignedOut(revoked: boolean, accountDeleted: boolean): void;
}

type MessageHandlers = {
  [K in TabMessageType]: (message: Extract<TabMessage, { type: K }>) => void;
};

export class DeviceLink {
  readonly #handlers: DeviceLinkHandlers;
  readonly #socket: ChatSocket;
  readonly #forwarded = new ForwardedRequests();
  #group: TabGroup | null = null;
  #stopStateRelay: (() => void) | null = null;

  constructor(handlers: DeviceLinkHandlers) {
    this.#handlers = handlers;
    this.#socket = new ChatSocket({
      onFrame: (frame) => this.#onServerFrame(frame),
      onDisconnect: () => {
        this.#forwarded.clear();
        syncDisconnected();
      },
      onRevoked: (accountDeleted) => handlers.onRevoked(accountDeleted),
      onRepeatedFailure: () => handlers.onRepeatedFailure(),
    });
  }

  /**
   * Opens the channel to the other tabs, so that a signed-out tab hears
   * of a sign-in elsewhere. Safe to call more than once.
   */
  listen(): void {
    if (this.#group !== null) return;
    this.#group = TabGroup.inBrowser({
      onRole: (role) => this.#onRole(role),
      onMessage: (message) => this.#onMessage(message),
      onTabGone: (tabId) => {
        this.#forwarded.dropTab(tabId);
        setFollowerView(tabId, null);
      },
    });
    if (typeof document === "undefined") return;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      if (this.#group?.role === "follower") this.#post({ type: "check" });
    });
  }

  /** Joins the election and connects, as the leader or through it. */
  start(): void {
    this.listen();
    this.#group?.join();
  }

  /** Closes the socket or the link to the leader, and leaves the group. */
  stop(): void {
    stopEncryption();
    this.#stopStateRelay?.();
    this.#stopStateRelay = null;
    this.#group?.leave();
    this.#socket.stop();
    this.#forwarded.clear();
    setSender(null);
    setReplyRouter(null);
    setRemotePump(null);
    setViewPublisher(null);
    connection.value = "offline";
  }

  announceSession(session: Session): void {
    this.#post({ type: "session", session });
  }

  announceSignedOut(revoked: boolean, accountDeleted = false): void {
    this.#post({ type: "signedOut", revoked, accountDeleted });
  }

  #post(message: OutgoingTabMessage): void {
    this.#group?.post(message);
  }

  #onRole(role: TabRole): void {
    if (role === "leader") this.#lead();
    else this.#follow();
  }

  #follow(): void {
    stopEncryption();
    connection.value = "connecting";
    setRemotePump(() => this.#post({ type: "pump" }));
    setViewPublisher((view) => this.#post({ type: "view", view }));
    this.#post({ type: "hello" });
  }

  #lead(): void {
    // Requests forwarded to a leader that is gone fail now, so that their
    // callers may ask again once this tab's socket is up.
    this.#setLinkState("connecting");
    syncDisconnected();
    setRemotePump(null);
    setViewPublisher(null);
    setReplyRouter((frame) => this.#routeReply(frame));
    this.#post({ type: "leader" });
    if (session.value) startEncryption(session.value);
    this.#stopStateRelay = connection.subscribe((state) =>
      this.#post({ type: "state", connection: state }),
    );
    this.#socket.start();
  }

  #onServerFrame(frame: ServerFrame): void {
    const relayed = relayedFrame(frame);
    if (relayed !== null) this.#post({ type: "server", frame: relayed });
    void handleFrame(frame);
  }

  /** Sends a follower's frame, and remembers who waits for its reply. */
  #forward(tabId: string, frame: ClientFrame): void {
    const rejection = forwardRejection(frame);
    if (rejection !== null) {
      log("tab_frame_rejected", { tabId, type: frame.type, rejection });
      return;
    }
    const rid = frame.type === "history" ? frame.rid : undefined;
    if (frame.type === "history" && rid !== undefined) {
      expectOlderPage(rid, frame.chatId);
      this.#forwarded.add(rid, tabId);
    }
    if (sendFrame(frame) || rid === undefined) return;
    this.#forwarded.take(rid);
    this.#post({ type: "lost", to: tabId, rid });
  }

  #routeReply(frame: ReplyFrame): boolean {
    const tabId =
      frame.rid === undefined ? undefined : this.#forwarded.take(frame.rid);
    if (tabId === undefined) return false;
    this.#post({ type: "reply", to: tabId, frame });
    return true;
  }

  /** Mirrors the leader's connection state in a follower. */
  #setLinkState(state: ConnectionState): void {
    connection.value = state;
    if (state === "online") {
      if (isLinked()) return;
      setSender((frame) => this.#post({ type: "frame", frame }));
      flushReceipts();
      void loadContacts();
      return;
    }
    if (!isLinked()) return;
    setSender(null);
    clearAllTyping();
    composerDisconnected();
  }

  #onMessage(message: TabMessage): void {
    const handler = this.#messageHandlers[message.type] as (
      message: TabMessage,
    ) => void;
    handler(message);
  }

  #isLeader(): boolean {
    return this.#group?.role === "leader";
  }

  #isFollower(): boolean {
    return this.#group?.role === "follower";
  }

  readonly #messageHandlers: MessageHandlers = {
    hello: (message) => {
      if (!this.#isLeader()) return;
      this.#group?.watchTab(message.from);
      this.#post({
        type: "welcome",
        to: message.from,
        connection: connection.value,
        snapshot: presenceSnapshot(),
      });
    },
    view: (message) => {
      if (!this.#isLeader()) return;
      this.#group?.watchTab(message.from);
      setFollowerView(message.from, message.view);
    },
    frame: (message) => {
      if (this.#isLeader()) this.#forward(message.from, message.frame);
    },
    pump: () => {
      if (this.#isLeader()) void pumpOutbox();
    },
    check: () => {
      if (this.#isLeader()) this.#socket.checkNow();
    },
    leader: () => {
      if (!this.#isFollower()) return;
      this.#setLinkState("connecting");
      this.#follow();
    },
    state: (message) => {
      if (this.#isFollower()) this.#setLinkState(message.connection);
    },
    welcome: (message) => {
      if (!this.#isFollower()) return;
      adoptPresenceSnapshot(message.snapshot);
      this.#setLinkState(message.connection);
    },
    server: (message) => {
      if (this.#isFollower()) applyRelayedFrame(message.frame);
    },
    reply: (message) => {
      if (this.#isFollower() && isReplyFrame(message.frame)) {
        settleRequest(message.frame);
      }
    },
    lost: (message) => {
      failRequest(message.rid, "the leader tab could not send the request");
    },
    session: (message) => this.#handlers.onSession(message.session),
    signedOut: (message) =>
      this.#handlers.onSignedOut(
        message.revoked,
        message.accountDeleted ?? false,
      ),
  };
}
