import { describe, expect, it } from "vitest";
import {
  ClientFrame,
  describeIssue,
  MAX_VIEW_LISTED,
  SaveContactBody,
  ServerFrame,
  UpdateSettingsBody,
} from "../../protocol/index.ts";

const CHAT = `dm_${"ab".repeat(16)}`;
const USER_ID = "0190a0b0-1234-7abc-8def-0123456789ac";

function fieldOf(input: unknown): string | undefined {
  const result = ClientFrame.safeParse(input);
  if (result.success) throw new Error("expected the frame to be rejected");
  return describeIssue(result.error).field;
}

describe("view frame", () => {
  it("accepts an open chat and listed rows", () => {
    const frame = { type: "view", chatId: CHAT, listed: [CHAT] };
    expect(ClientFrame.safeParse(frame).success).toBe(true);
  });

  it("accepts no open chat", () => {
    const frame = { type: "view", chatId: null, listed: [] };
    expect(ClientFrame.safeParse(frame).success).toBe(true);
  });

  it("rejects more listed rows than the limit", () => {
    const listed = Array.from({ length: MAX_VIEW_LISTED + 1 }, () => CHAT);
    expect(fieldOf({ type: "view", chatId: null, listed })).toBe("listed");
  });

  it("requires chatId, even as null", () => {
    expect(fieldOf({ type: "view", listed: [] })).toBe("chatId");
  });
});

describe("typing frame", () => {
  it("accepts typing, recording and idle", () => {
    for (const state of ["typing", "recording", "idle"]) {
      const frame = { type: "typing", chatId: CHAT, state };
      expect(ClientFrame.safeParse(frame).success).toBe(true);
    }
  });

  it("names state when it is unknown", () => {
    const frame = { type: "typing", chatId: CHAT, state: "thinking" };
    expect(fieldOf(frame)).toBe("state");
  });
});

describe("presence server frames", () => {
  it("parses presence with a hidden last seen", () => {
    const frame = {
      type: "presence",
      userId: USER_ID,
      online: false,
      lastSeen: null,
    };
    expect(ServerFrame.safeParse(frame).success).toBe(true);
  });

  it("parses typing with its expiry", () => {
    const frame = {
      type: "typing",
      chatId: CHAT,
      userId: USER_ID,
      state: "typing",
      expiresAt: 1_700_000_000_000,
    };
    expect(ServerFrame.safeParse(frame).success).toBe(true);
  });

  it("rejects typing without an expiry", () => {
    const frame = { type: "typing", chatId: CHAT, userId: USER_ID };
    expect(ServerFrame.safeParse(frame).success).toBe(false);
  });
});

describe("privacy and contact bodies", () => {
  it("accepts the three last seen choices", () => {
    for (const lastSeen of ["everyone", "contacts", "nobody"]) {
      expect(UpdateSettingsBody.safeParse({ lastSeen }).success).toBe(true);
    }
  });

  it("rejects another last seen choice", () => {
    const result = UpdateSettingsBody.safeParse({ lastSeen: "friends" });
    expect(result.success).toBe(false);
  });

  it("requires a contact name", () => {
    const phone = "+4915112345678";
    expect(SaveContactBody.safeParse({ phone, name: "  " }).success).toBe(
      false,
    );
    expect(SaveContactBody.safeParse({ phone, name: "Ben" }).success).toBe(
      true,
    );
  });
});
