import { afterEach, describe, expect, it, vi } from "vitest";

/**
 * The presence module reads `document` when it loads, so a minimal stub is
 * installed first; sendFrame is replaced to capture frames.
 */
const sent: unknown[] = [];
vi.stubGlobal("document", {
  visibilityState: "visible",
  addEventListener: () => undefined,
});
vi.mock("../../../pwa/src/data/wire.ts", () => ({
  sendFrame: (frame: unknown) => {
    sent.push(frame);
    return true;
  },
}));

const presence = await import("../../../pwa/src/data/presence.ts");

const CHAT = `dm_${"ab".repeat(16)}`;
const ANA = "0190a0b0-1234-7abc-8def-0123456789ac";

afterEach(() => {
  vi.useRealTimers();
  sent.length = 0;
  presence.clearAllTyping();
  presence.composerDisconnected();
});

describe("composer typing", () => {
  it("sends typing once per three seconds, then idle", () => {
    vi.useFakeTimers();
    presence.composerChanged(CHAT, "H");
    presence.composerChanged(CHAT, "He");
    vi.advanceTimersByTime(3_000);
    presence.composerChanged(CHAT, "Hel");
    expect(sent).toEqual([
      { type: "typing", chatId: CHAT, state: "typing" },
      { type: "typing", chatId: CHAT, state: "typing" },
    ]);
    vi.advanceTimersByTime(5_000);
    expect(sent.at(-1)).toEqual({
      type: "typing",
      chatId: CHAT,
      state: "idle",
    });
  });

  it("sends idle when the text is cleared", () => {
    presence.composerChanged(CHAT, "Hi");
    presence.composerChanged(CHAT, "");
    expect(sent.at(-1)).toEqual({
      type: "typing",
      chatId: CHAT,
      state: "idle",
    });
    presence.composerIdle(CHAT);
    expect(sent).toHaveLength(2);
  });
});

describe("typing indicators", () => {
  it("expire at expiresAt in server time", () => {
    vi.useFakeTimers();
    presence.setServerTime(Date.now() + 60_000);
    const expiresAt = Date.now() + 60_000 + 6_000;
    presence.applyTyping({
      type: "typing",
      chatId: CHAT,
      userId: ANA,
      state: "typing",
      expiresAt,
    });
    expect(presence.typingByChat.value.get(CHAT)).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    expect(presence.typingByChat.value.get(CHAT)).toHaveLength(1);
    vi.advanceTimersByTime(1_100);
    expect(presence.typingByChat.value.get(CHAT)).toBeUndefined();
  });

  it("clear when a message from the typer arrives", () => {
    presence.setServerTime(Date.now());
    presence.applyTyping({
      type: "typing",
      chatId: CHAT,
      userId: ANA,
      state: "recording",
      expiresAt: Date.now() + 6_000,
    });
    presence.clearTyping(CHAT, ANA);
    expect(presence.typingByChat.value.get(CHAT)).toBeUndefined();
  });
});

describe("view", () => {
  it("is sent only when it changes, and always when forced", () => {
    presence.viewChat(CHAT);
    presence.viewChat(CHAT);
    presence.sendView(true);
    expect(sent).toEqual([
      { type: "view", chatId: CHAT, listed: [] },
      { type: "view", chatId: CHAT, listed: [] },
    ]);
  });
});
