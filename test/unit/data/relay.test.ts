import { describe, expect, it } from "vitest";
import {
  MAX_VIEW_LISTED,
  type ClientFrame,
  type ServerFrame,
} from "../../../protocol/index.ts";
import {
  ForwardedRequests,
  TabMessage,
  forwardRejection,
  mergeViews,
  relayedFrame,
  type TabView,
} from "../../../pwa/src/data/relay.ts";
import { CHAT, ME, PEER, stored } from "./fixtures.ts";

/** Returns a valid direct chat id whose hex digits start with `digit`. */
function chat(digit: string): string {
  return `dm_${digit.repeat(32)}`;
}

function view(patch: Partial<TabView>): TabView {
  return {
    chatId: null,
    listed: [],
    visible: true,
    focused: false,
    activeAt: 0,
    ...patch,
  };
}

describe("mergeViews", () => {
  it("gives the open chat to the focused tab", () => {
    const merged = mergeViews([
      view({ chatId: chat("a"), activeAt: 20 }),
      view({ chatId: chat("b"), focused: true, activeAt: 10 }),
    ]);
    expect(merged.chatId).toBe(chat("b"));
    expect(merged.listed).toEqual([chat("a")]);
  });

  it("prefers the latest activity among equals", () => {
    const merged = mergeViews([
      view({ chatId: chat("a"), activeAt: 10 }),
      view({ chatId: chat("b"), activeAt: 30 }),
      view({ chatId: chat("c"), activeAt: 20 }),
    ]);
    expect(merged.chatId).toBe(chat("b"));
    expect(merged.listed).toEqual([chat("c"), chat("a")]);
  });

  it("ignores hidden tabs", () => {
    const merged = mergeViews([
      view({ chatId: chat("a"), visible: false, focused: true, activeAt: 9 }),
      view({ chatId: chat("b"), listed: [chat("c")] }),
    ]);
    expect(merged).toEqual({ chatId: chat("b"), listed: [chat("c")] });
  });

  it("views nothing when every tab is hidden", () => {
    const merged = mergeViews([
      view({ chatId: chat("a"), listed: [chat("b")], visible: false }),
    ]);
    expect(merged).toEqual({ chatId: null, listed: [] });
    expect(mergeViews([])).toEqual({ chatId: null, listed: [] });
  });

  it("lists open chats before list rows, once each", () => {
    const merged = mergeViews([
      view({
        chatId: chat("a"),
        listed: [chat("a"), chat("c"), chat("d")],
        focused: true,
      }),
      view({ chatId: chat("b"), listed: [chat("d"), chat("e")] }),
    ]);
    expect(merged.chatId).toBe(chat("a"));
    expect(merged.listed).toEqual([chat("b"), chat("c"), chat("d"), chat("e")]);
  });

  it("caps listed at MAX_VIEW_LISTED", () => {
    const rows = (offset: number) =>
      Array.from(
        { length: MAX_VIEW_LISTED },
        (_, index) => `dm_${(offset + index).toString(16).padStart(32, "0")}`,
      );
    const merged = mergeViews([
      view({ listed: rows(0), focused: true }),
      view({ chatId: chat("b"), listed: rows(1000) }),
    ]);
    expect(merged.listed).toHaveLength(MAX_VIEW_LISTED);
    expect(merged.listed[0]).toBe(chat("b"));
    expect(merged.listed.at(-1)).toBe(rows(0)[MAX_VIEW_LISTED - 2]);
  });
});

describe("forwardRejection", () => {
  const allowed: ClientFrame[] = [
    { type: "typing", chatId: CHAT, state: "typing" },
    { type: "receipt", chatId: CHAT, kind: "read", seq: 3 },
    { type: "history", rid: "r1", chatId: CHAT, beforeSeq: 9, limit: 50 },
  ];
  const rejected: ClientFrame[] = [
    { type: "sync", rid: "r2", chats: [] },
    {
      type: "send",
      chatId: CHAT,
      message: { id: stored(1).id, kind: "message", body: "{}" },
    },
    { type: "delete", rid: "r3", chatId: CHAT, messageId: stored(1).id },
    { type: "view", chatId: null, listed: [] },
    { type: "history", rid: "r4", chatId: CHAT, afterSeq: 9, limit: 50 },
    { type: "history", chatId: CHAT, beforeSeq: 9, limit: 50 },
  ];

  it.each(allowed)("lets a follower send $type", (frame) => {
    expect(forwardRejection(frame)).toBeNull();
  });

  it.each(rejected)("keeps $type in the leader", (frame) => {
    expect(forwardRejection(frame)).toEqual(expect.any(String));
  });
});

describe("relayedFrame", () => {
  const typing: ServerFrame = {
    type: "typing",
    chatId: CHAT,
    userId: PEER,
    state: "typing",
    expiresAt: 1,
  };
  const presence: ServerFrame = {
    type: "presence",
    userId: PEER,
    online: true,
    lastSeen: null,
  };

  it("passes presence and typing", () => {
    expect(relayedFrame(typing)).toBe(typing);
    expect(relayedFrame(presence)).toBe(presence);
  });

  it("turns a stored message into idle typing", () => {
    const message = stored(4);
    expect(relayedFrame({ type: "message", message })).toEqual({
      type: "typing",
      chatId: CHAT,
      userId: message.senderId,
      state: "idle",
      expiresAt: message.ts,
    });
  });

  it("keeps frames that Dexie carries", () => {
    const page: ServerFrame = {
      type: "messages",
      rid: "r1",
      chatId: CHAT,
      messages: [stored(1)],
      hasMore: false,
    };
    expect(relayedFrame(page)).toBeNull();
    expect(relayedFrame({ type: "sync.done", rid: "r2" })).toBeNull();
  });
});

describe("ForwardedRequests", () => {
  it("returns the waiting tab once", () => {
    const requests = new ForwardedRequests();
    requests.add("r1", "tab-a");
    expect(requests.take("r1")).toBe("tab-a");
    expect(requests.take("r1")).toBeUndefined();
  });

  it("drops the requests of a closed tab", () => {
    const requests = new ForwardedRequests();
    requests.add("r1", "tab-a");
    requests.add("r2", "tab-b");
    requests.dropTab("tab-a");
    expect(requests.take("r1")).toBeUndefined();
    expect(requests.take("r2")).toBe("tab-b");
  });

  it("expires requests older than ttlMs", () => {
    const requests = new ForwardedRequests(1_000);
    requests.add("old", "tab-a", 0);
    requests.add("young", "tab-a", 500);
    requests.add("new", "tab-b", 1_200);
    expect(requests.size).toBe(2);
    expect(requests.take("old")).toBeUndefined();
    expect(requests.take("young")).toBe("tab-a");
  });
});

describe("TabMessage", () => {
  it("accepts a forwarded frame", () => {
    const message = {
      type: "frame",
      from: "tab-a",
      frame: { type: "receipt", chatId: CHAT, kind: "read", seq: 2 },
    };
    expect(TabMessage.safeParse(message).success).toBe(true);
  });

  it("rejects a frame that fails the wire schema", () => {
    const message = {
      type: "frame",
      from: "tab-a",
      frame: { type: "receipt", chatId: CHAT, kind: "read", seq: 0 },
    };
    expect(TabMessage.safeParse(message).success).toBe(false);
  });

  it("requires the session's device id", () => {
    const me = {
      id: ME,
      phone: "+4930123456",
      displayName: "Me",
      about: "",
      settings: { readReceipts: true, lastSeen: "everyone" },
      createdAt: 0,
    };
    const message = { type: "session", from: "tab-a", session: { me } };
    expect(TabMessage.safeParse(message).success).toBe(false);
    const deviceId = "0190a0b0-0000-7000-8000-0000000000d1";
    const complete = { ...message, session: { me, deviceId } };
    expect(TabMessage.safeParse(complete).success).toBe(true);
  });
});
