import { z } from "zod";
import {
  ClientFrame,
  MAX_VIEW_LISTED,
  MeReply,
  Presence,
  ServerFrame,
  TypingState,
  chatId,
  userId,
} from "../../../protocol/index.ts";

/**
 * Messages between the tabs of one browser profile, on a BroadcastChannel.
 * The leader tab owns the socket. Followers send it their view and their
 * outgoing frames, and it relays what Dexie does not carry: the connection
 * state, presence, typing, and replies to their requests. These messages
 * never leave the browser, so they live here and not in `protocol/`, but
 * they embed the wire frames and are validated like them on entry.
 */

/**
 * Bump when a tab message changes shape. Lock and channel names carry it,
 * so tabs of two app versions elect a leader each instead of exchanging
 * messages that the other side cannot parse.
 */
export const RELAY_VERSION = 1;

export const TabId = z.string().min(1).max(64);

/** The open chat and list rows of one tab, merged into the device's `view`. */
export const TabView = z.object({
  chatId: chatId.nullable(),
  listed: z.array(chatId).max(MAX_VIEW_LISTED),
  visible: z.boolean(),
  focused: z.boolean(),
  /** Time of the last focus or input in this tab, ms since the epoch. */
  activeAt: z.number(),
});
export type TabView = z.infer<typeof TabView>;

export const ConnectionState = z.enum(["offline", "connecting", "online"]);

const TypingEntry = z.object({
  userId,
  state: TypingState.exclude(["idle"]),
  /** In the local clock, which all tabs of a browser share. */
  expiresAt: z.number(),
});

/** Presence and typing as a tab stores them, for a tab that just joined. */
export const PresenceSnapshot = z.object({
  /** Server time minus local time, in ms. */
  clockOffset: z.number(),
  presence: z.array(z.object({ userId, presence: Presence })),
  typing: z.array(z.object({ chatId, entries: z.array(TypingEntry) })),
});
export type PresenceSnapshot = z.infer<typeof PresenceSnapshot>;

const from = TabId;
const to = TabId;

export const TabMessage = z.discriminatedUnion("type", [
  // ---- follower → leader ----
  /** A follower joined and requests the connection state and presence. */
  z.object({ type: z.literal("hello"), from }),
  /** The follower's view changed. */
  z.object({ type: z.literal("view"), from, view: TabView }),
  /** A frame for the leader to send: `typing`, `receipt` or `history`. */
  z.object({ type: z.literal("frame"), from, frame: ClientFrame }),
  /** The follower wrote to the outbox, so the leader's pump should run. */
  z.object({ type: z.literal("pump"), from }),
  /** The follower became visible: the socket may have died unnoticed. */
  z.object({ type: z.literal("check"), from }),

  // ---- leader → followers ----
  /** A tab took the leader lock, so followers send their view again. */
  z.object({ type: z.literal("leader"), from }),
  z.object({ type: z.literal("state"), from, connection: ConnectionState }),
  z.object({
    type: z.literal("welcome"),
    from,
    to,
    connection: ConnectionState,
    snapshot: PresenceSnapshot,
  }),
  /** A server frame that changes no stored row (presence, typing). */
  z.object({ type: z.literal("server"), from, frame: ServerFrame }),
  /** The reply to a request that the follower `to` forwarded. */
  z.object({ type: z.literal("reply"), from, to, frame: ServerFrame }),
  /** The leader could not send the request `rid` of the follower `to`. */
  z.object({ type: z.literal("lost"), from, to, rid: z.string() }),

  // ---- any tab → all others ----
  /** A tab signed in or changed the account. */
  z.object({ type: z.literal("session"), from, session: MeReply }),
  /** A tab logged out, or learnt that the session was revoked. */
  z.object({
    type: z.literal("signedOut"),
    from,
    revoked: z.boolean(),
    /** The account was deleted, which also ends the session. */
    accountDeleted: z.boolean().optional(),
  }),
]);
export type TabMessage = z.infer<typeof TabMessage>;
export type TabMessageType = TabMessage["type"];

type WithoutSender<T> = T extends unknown ? Omit<T, "from"> : never;
/** A tab message before the sending tab stamps its id on it. */
export type OutgoingTabMessage = WithoutSender<TabMessage>;

/** Frame types a follower may have the leader send for it. */
const FORWARDED_TYPES = new Set<ClientFrame["type"]>([
  "typing",
  "receipt",
  "history",
]);

/**
 * Returns why the leader must not send a follower's frame, or null when it
 * may. Sync, sends and deletes run in the leader only, because only it
 * tracks the open sync requests and the outbox's in-flight entry.
 */
export function forwardRejection(frame: ClientFrame): string | null {
  if (!FORWARDED_TYPES.has(frame.type)) {
    return `${frame.type} frames are sent by the leader tab only`;
  }
  if (frame.type !== "history") return null;
  if (frame.rid === undefined) return "history needs a rid";
  if (frame.beforeSeq === undefined) return "only older pages are forwarded";
  return null;
}

/**
 * Returns what followers get of a server frame, or null for frames whose
 * effect reaches them through Dexie. A stored `message` becomes an idle
 * `typing` of its sender, because the message ends the sender's indicator.
 */
export function relayedFrame(frame: ServerFrame): ServerFrame | null {
  switch (frame.type) {
    case "ready":
    case "presence":
    case "typing":
      return frame;
    case "message":
      return {
        type: "typing",
        chatId: frame.message.chatId,
        userId: frame.message.senderId,
        state: "idle",
        expiresAt: frame.message.ts,
      };
    default:
      return null;
  }
}

/**
 * Returns the device's `view` from the views of its tabs. Only visible
 * tabs count. The focused one wins the open chat, and between equals the
 * one with the latest activity. The open chats of the other visible tabs
 * come first in `listed`, then the tabs' list rows, so that every visible
 * tab gets presence and typing for what it shows, up to MAX_VIEW_LISTED.
 */
export function mergeViews(views: Iterable<TabView>): {
  chatId: string | null;
  listed: string[];
} {
  const visible = [...views]
    .filter((view) => view.visible)
    .sort(
      (a, b) =>
        Number(b.focused) - Number(a.focused) || b.activeAt - a.activeAt,
    );
  const winner = visible[0];
  if (winner === undefined) return { chatId: null, listed: [] };
  const listed = new Set<string>();
  const add = (id: string | null) => {
    if (id === null || id === winner.chatId) return;
    if (listed.size < MAX_VIEW_LISTED) listed.add(id);
  };
  for (const view of visible.slice(1)) add(view.chatId);
  for (const view of visible) view.listed.forEach(add);
  return { chatId: winner.chatId, listed: [...listed] };
}

/**
 * Forwarded requests open in the leader, by rid: the follower tab that
 * waits for the reply. An entry leaves with its reply, or after `ttlMs`
 * when no reply came, so that a lost reply cannot grow the map for ever.
 */
export class ForwardedRequests {
  readonly #byRid = new Map<string, { tabId: string; at: number }>();

  constructor(readonly ttlMs = 60_000) {}

  add(rid: string, tabId: string, now = Date.now()): void {
    for (const [key, entry] of this.#byRid) {
      if (now - entry.at > this.ttlMs) this.#byRid.delete(key);
    }
    this.#byRid.set(rid, { tabId, at: now });
  }

  /** Removes the request `rid` and returns the waiting tab's id. */
  take(rid: string): string | undefined {
    const entry = this.#byRid.get(rid);
    this.#byRid.delete(rid);
    return entry?.tabId;
  }

  /** Forgets the requests of a tab that closed. */
  dropTab(tabId: string): void {
    for (const [rid, entry] of this.#byRid) {
      if (entry.tabId === tabId) this.#byRid.delete(rid);
    }
  }

  clear(): void {
    this.#byRid.clear();
  }

  get size(): number {
    return this.#byRid.size;
  }
}
