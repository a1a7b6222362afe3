import { newId } from "./uuid.ts";
import { log } from "./log.ts";
import { RELAY_VERSION, TabMessage, type OutgoingTabMessage } from "./relay.ts";

/**
 * Leader election between the tabs of one browser profile, and the
 * channel they talk on. The tab that holds the leader lock runs the
 * device's one socket, and the lock is held for the tab's life, so the
 * browser hands it to a waiting tab as soon as the leader closes or
 * crashes. Each tab also holds a lock of its own for its life, which lets
 * the leader learn that a follower went away without a message.
 *
 * Without Web Locks or BroadcastChannel the group is solo: the tab leads
 * at once and posts no messages, so each tab runs a socket of its own.
 */

const LEADER_LOCK = `messenger.socket.v${RELAY_VERSION}`;
const TAB_LOCK_PREFIX = `messenger.tab.v${RELAY_VERSION}.`;
export const CHANNEL_NAME = `messenger.tabs.v${RELAY_VERSION}`;

/** The part of `navigator.locks` (LockManager) this module uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown>;
}

/** The part of BroadcastChannel this module uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close(): void;
}

export type TabRole = "leader" | "follower";

export interface TabGroupHandlers {
  /** This tab became a follower (after `join`) or the leader. */
  onRole(role: TabRole): void;
  /** A valid message from another tab, broadcast or addressed to this one. */
  onMessage(message: TabMessage): void;
  /** A tab that `watchTab` was called for closed or crashed. */
  onTabGone(tabId: string): void;
}

export interface TabGroupOptions {
  locks: LockManagerLike;
  channel: ChannelLike;
  /** Defaults to a new UUIDv7. */
  tabId?: string;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

export class TabGroup {
  readonly tabId: string;
  readonly #handlers: TabGroupHandlers;
  readonly #locks: LockManagerLike | null;
  readonly #channel: ChannelLike | null;
  #role: TabRole | null = null;
  /** Aborts the pending lock requests of the current membership. */
  #abort: AbortController | null = null;
  /** Releases the locks held for the current membership. */
  #release: (() => void) | null = null;
  readonly #watched = new Set<string>();

  /** Creates a solo group when `options` is null. */
  constructor(handlers: TabGroupHandlers, options: TabGroupOptions | null) {
    this.#handlers = handlers;
    this.#locks = options?.locks ?? null;
    this.#channel = options?.channel ?? null;
    this.tabId = options?.tabId ?? newId();
    if (this.#channel !== null) {
      this.#channel.onmessage = (event) => this.#receive(event.data);
    }
  }

  /** Creates a group on `navigator.locks` and a BroadcastChannel. */
  static inBrowser(handlers: TabGroupHandlers): TabGroup {
    const locks =
      typeof navigator === "undefined" ? undefined : navigator.locks;
    if (locks === undefined || typeof BroadcastChannel === "undefined") {
      log("tabs_solo", { reason: "no Web Locks or BroadcastChannel" });
      return new TabGroup(handlers, null);
    }
    const channel = new BroadcastChannel(CHANNEL_NAME);
    return new TabGroup(handlers, { locks, channel });
  }

  get shared(): boolean {
    return this.#locks !== null;
  }

  /** Null outside a membership, between `leave` and the next `join`. */
  get role(): TabRole | null {
    return this.#role;
  }

  /**
   * Joins the election: the tab becomes a follower once its own lock is
   * held, and the leader once the leader lock is granted. A solo group
   * leads at once.
   */
  join(): void {
    if (this.#abort !== null) return;
    const abort = new AbortController();
    this.#abort = abort;
    if (this.#locks === null) {
      this.#setRole("leader");
      return;
    }
    const held = new Promise<void>((resolve) => (this.#release = resolve));
    // Messages start only once the tab lock is held, so the leader's
    // watch request cannot be granted before the follower holds it.
    this.#request(TAB_LOCK_PREFIX + this.tabId, abort.signal, () => {
      this.#setRole("follower");
      this.#request(LEADER_LOCK, abort.signal, () => {
        this.#setRole("leader");
        return held;
      });
      return held;
    });
  }

  /** Releases the locks and cancels waiting requests. */
  leave(): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#release?.();
    this.#release = null;
    this.#role = null;
    this.#watched.clear();
  }

  /**
   * Calls `onTabGone` once the tab `tabId` no longer holds its lock. Only
   * the leader watches, and a new leader watches anew.
   */
  watchTab(tabId: string): void {
    const signal = this.#abort?.signal;
    if (signal === undefined || this.#watched.has(tabId)) return;
    this.#watched.add(tabId);
    this.#request(TAB_LOCK_PREFIX + tabId, signal, () => {
      this.#watched.delete(tabId);
      this.#handlers.onTabGone(tabId);
      return Promise.resolve();
    });
  }

  /** Sends a message to every other tab, or nowhere in a solo group. */
  post(message: OutgoingTabMessage): void {
    this.#channel?.postMessage({ ...message, from: this.tabId });
  }

  #request(name: string, signal: AbortSignal, granted: () => Promise<void>) {
    const locks = this.#locks;
    if (locks === null) return;
    locks
      .request(name, { signal }, () =>
        signal.aborted ? Promise.resolve() : granted(),
      )
      .catch((error: unknown) => {
        if (isAbort(error)) return;
        // A browser may refuse locks (an opaque origin, for one). The tab
        // then leads alone rather than wait for ever.
        log("tabs_lock_failed", { name, error: String(error) });
        if (!signal.aborted) this.#setRole("leader");
      });
  }

  #setRole(role: TabRole): void {
    if (this.#role === role) return;
    this.#role = role;
    log("tabs_role", { tabId: this.tabId, role });
    this.#handlers.onRole(role);
  }

  #receive(data: unknown): void {
    const result = TabMessage.safeParse(data);
    if (!result.success) {
      const issue = result.error.issues[0];
      log("tab_message_invalid", {
        path: issue?.path.join("."),
        issue: issue?.message,
      });
      return;
    }
    const message = result.data;
    if ("to" in message && message.to !== this.tabId) return;
    this.#handlers.onMessage(message);
  }
}
