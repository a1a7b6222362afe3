import { describe, expect, it, vi } from "vitest";
import type { TabMessage } from "../../../pwa/src/data/relay.ts";
import {
  TabGroup,
  type ChannelLike,
  type LockManagerLike,
  type TabRole,
} from "../../../pwa/src/data/tabs.ts";

/**
 * A stand-in for the browser's lock manager, shared by the tabs of one
 * test. Like Web Locks, it grants each name to one holder at a time in
 * request order, releases a lock when the callback's promise settles, and
 * releases everything a tab held when the tab dies.
 */
class LockBroker {
  readonly #holders = new Map<string, string>();
  readonly #queues = new Map<string, Array<() => void>>();
  readonly #heldBy = new Map<string, Set<string>>();

  managerFor(tabName: string): LockManagerLike {
    return {
      request: (name, options, callback) =>
        new Promise((resolve, reject) => {
          const signal = options.signal;
          const grant = () => {
            signal?.removeEventListener("abort", onAbort);
            this.#holders.set(name, tabName);
            this.#heldOf(tabName).add(name);
            void callback().then(() => {
              if (this.#holders.get(name) === tabName) this.#release(name);
              resolve(undefined);
            });
          };
          const onAbort = () => {
            const queue = this.#queues.get(name) ?? [];
            this.#queues.set(
              name,
              queue.filter((entry) => entry !== grant),
            );
            reject(new DOMException("aborted", "AbortError"));
          };
          signal?.addEventListener("abort", onAbort);
          this.#enqueue(name, grant);
        }),
    };
  }

  /** Releases every lock of `tabName`, as a crash of that tab would. */
  kill(tabName: string): void {
    for (const name of this.#heldOf(tabName)) this.#release(name);
  }

  holderOf(name: string): string | undefined {
    return this.#holders.get(name);
  }

  #heldOf(tabName: string): Set<string> {
    let held = this.#heldBy.get(tabName);
    if (held === undefined) {
      held = new Set();
      this.#heldBy.set(tabName, held);
    }
    return held;
  }

  #enqueue(name: string, grant: () => void): void {
    const queue = this.#queues.get(name) ?? [];
    queue.push(grant);
    this.#queues.set(name, queue);
    this.#grantNext(name);
  }

  #release(name: string): void {
    const holder = this.#holders.get(name);
    if (holder !== undefined) this.#heldOf(holder).delete(name);
    this.#holders.delete(name);
    this.#grantNext(name);
  }

  #grantNext(name: string): void {
    if (this.#holders.has(name)) return;
    const next = this.#queues.get(name)?.shift();
    if (next !== undefined) queueMicrotask(next);
  }
}

/** A BroadcastChannel stand-in: delivers a copy to every other channel. */
class Bus {
  readonly channels = new Set<ChannelLike>();

  open(): ChannelLike {
    const channel: ChannelLike = {
      onmessage: null,
      postMessage: (message) => {
        for (const other of this.channels) {
          if (other === channel) continue;
          const data: unknown = structuredClone(message);
          setTimeout(() => other.onmessage?.({ data } as MessageEvent), 0);
        }
      },
      close: () => this.channels.delete(channel),
    };
    this.channels.add(channel);
    return channel;
  }
}

/** Opens a tab and returns its group and what its handlers received. */
function openTab(broker: LockBroker, bus: Bus, tabId: string) {
  const roles: TabRole[] = [];
  const messages: TabMessage[] = [];
  const gone: string[] = [];
  const group = new TabGroup(
    {
      onRole: (role) => roles.push(role),
      onMessage: (message) => messages.push(message),
      onTabGone: (id) => gone.push(id),
    },
    { locks: broker.managerFor(tabId), channel: bus.open(), tabId },
  );
  return { group, roles, messages, gone };
}

describe("tab election", () => {
  it("makes the first tab the leader", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    first.group.join();
    await vi.waitFor(() => expect(first.group.role).toBe("leader"));

    const second = openTab(broker, bus, "tab-2");
    second.group.join();
    await vi.waitFor(() => expect(second.group.role).toBe("follower"));
    expect(first.roles).toEqual(["follower", "leader"]);
    expect(second.roles).toEqual(["follower"]);
  });

  it("hands the lead over on leave", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    const second = openTab(broker, bus, "tab-2");
    first.group.join();
    await vi.waitFor(() => expect(first.group.role).toBe("leader"));
    second.group.join();
    await vi.waitFor(() => expect(second.group.role).toBe("follower"));

    first.group.leave();
    await vi.waitFor(() => expect(second.group.role).toBe("leader"));
    expect(first.group.role).toBeNull();
  });

  it("hands the lead over when the leader dies", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    const second = openTab(broker, bus, "tab-2");
    const third = openTab(broker, bus, "tab-3");
    first.group.join();
    await vi.waitFor(() => expect(first.group.role).toBe("leader"));
    second.group.join();
    third.group.join();
    await vi.waitFor(() => expect(third.group.role).toBe("follower"));

    broker.kill("tab-1");
    await vi.waitFor(() => expect(second.group.role).toBe("leader"));
    expect(third.group.role).toBe("follower");
    expect(broker.holderOf("messenger.socket.v1")).toBe("tab-2");
  });

  it("reports a watched follower that died", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const leader = openTab(broker, bus, "tab-1");
    const follower = openTab(broker, bus, "tab-2");
    leader.group.join();
    await vi.waitFor(() => expect(leader.group.role).toBe("leader"));
    follower.group.join();
    await vi.waitFor(() => expect(follower.group.role).toBe("follower"));

    leader.group.watchTab("tab-2");
    leader.group.watchTab("tab-2");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(leader.gone).toEqual([]);
    broker.kill("tab-2");
    await vi.waitFor(() => expect(leader.gone).toEqual(["tab-2"]));
  });

  it("cancels a waiting request on leave", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    const second = openTab(broker, bus, "tab-2");
    first.group.join();
    await vi.waitFor(() => expect(first.group.role).toBe("leader"));
    second.group.join();
    await vi.waitFor(() => expect(second.group.role).toBe("follower"));

    second.group.leave();
    first.group.leave();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(second.roles).toEqual(["follower"]);
    expect(broker.holderOf("messenger.socket.v1")).toBeUndefined();
  });

  it("joins again after leave", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const tab = openTab(broker, bus, "tab-1");
    tab.group.join();
    await vi.waitFor(() => expect(tab.group.role).toBe("leader"));
    tab.group.leave();
    tab.group.join();
    await vi.waitFor(() => expect(tab.group.role).toBe("leader"));
    expect(broker.holderOf("messenger.socket.v1")).toBe("tab-1");
  });

  it("leads alone when a lock request fails", async () => {
    const bus = new Bus();
    const roles: TabRole[] = [];
    const failing: LockManagerLike = {
      request: () =>
        Promise.reject(new DOMException("denied", "SecurityError")),
    };
    const group = new TabGroup(
      {
        onRole: (role) => roles.push(role),
        onMessage: () => undefined,
        onTabGone: () => undefined,
      },
      { locks: failing, channel: bus.open() },
    );
    group.join();
    await vi.waitFor(() => expect(group.role).toBe("leader"));
    expect(roles).toEqual(["leader"]);
  });

  it("leads at once without locks or a channel", () => {
    const roles: TabRole[] = [];
    const group = new TabGroup(
      {
        onRole: (role) => roles.push(role),
        onMessage: () => undefined,
        onTabGone: () => undefined,
      },
      null,
    );
    group.join();
    expect(group.shared).toBe(false);
    expect(roles).toEqual(["leader"]);
    group.post({ type: "pump" });
  });
});

describe("tab messages", () => {
  it("stamps the sender and reaches the other tabs", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    const second = openTab(broker, bus, "tab-2");
    const third = openTab(broker, bus, "tab-3");
    first.group.post({ type: "pump" });
    await vi.waitFor(() => expect(third.messages).toHaveLength(1));
    expect(second.messages).toEqual([{ type: "pump", from: "tab-1" }]);
    expect(third.messages).toEqual([{ type: "pump", from: "tab-1" }]);
    expect(first.messages).toEqual([]);
  });

  it("delivers an addressed message to its tab only", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const first = openTab(broker, bus, "tab-1");
    const second = openTab(broker, bus, "tab-2");
    const third = openTab(broker, bus, "tab-3");
    first.group.post({ type: "lost", to: "tab-3", rid: "r1" });
    first.group.post({ type: "pump" });
    await vi.waitFor(() => expect(second.messages).toHaveLength(1));
    await vi.waitFor(() => expect(third.messages).toHaveLength(2));
    expect(second.messages[0]?.type).toBe("pump");
    expect(third.messages[0]).toEqual({
      type: "lost",
      from: "tab-1",
      to: "tab-3",
      rid: "r1",
    });
  });

  it("drops an invalid message", async () => {
    const broker = new LockBroker();
    const bus = new Bus();
    const tab = openTab(broker, bus, "tab-1");
    const stranger = bus.open();
    const logged = vi.spyOn(console, "info").mockImplementation(() => {});
    stranger.postMessage({ type: "state", from: "x", connection: "maybe" });
    stranger.postMessage({ type: "pump", from: "x" });
    await vi.waitFor(() => expect(tab.messages).toHaveLength(1));
    expect(tab.messages[0]?.type).toBe("pump");
    expect(logged).toHaveBeenCalledWith(
      expect.stringContaining('"event":"tab_message_invalid"'),
    );
    logged.mockRestore();
  });
});
