import { describe, expect, it } from "vitest";
import {
  ClientFrame,
  CreateGroupBody,
  describeIssue,
  MAX_BODY_BYTES,
  MAX_GROUP_MEMBERS,
  ServerFrame,
  UpdateProfileBody,
  VerifyCodeBody,
} from "../../protocol/index.ts";

const CHAT = `dm_${"ab".repeat(16)}`;
const MESSAGE_ID = "0190a0b0-1234-7abc-8def-0123456789ab";
const USER_ID = "0190a0b0-1234-7abc-8def-0123456789ac";

function sendFrame(message: Record<string, unknown>): unknown {
  return { type: "send", chatId: CHAT, message };
}

function errorOf(schema: typeof ClientFrame, input: unknown) {
  const result = schema.safeParse(input);
  if (result.success) throw new Error("expected the frame to be rejected");
  return describeIssue(result.error);
}

describe("client frames", () => {
  it("accepts a text send", () => {
    const frame = sendFrame({ id: MESSAGE_ID, kind: "message", body: "hi" });
    expect(ClientFrame.safeParse(frame).success).toBe(true);
  });

  it("names the field of an invalid chat id", () => {
    const error = errorOf(ClientFrame, { type: "receipt", chatId: "x" });
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("chatId");
  });

  it("rejects an unknown frame type by naming type", () => {
    const error = errorOf(ClientFrame, { type: "launch" });
    expect(error.field).toBe("type");
  });

  it("requires ref on edits and reactions", () => {
    for (const kind of ["edit", "reaction"]) {
      const error = errorOf(
        ClientFrame,
        sendFrame({ id: MESSAGE_ID, kind, body: "{}" }),
      );
      expect(error.field).toBe("message.ref");
    }
  });

  it("rejects a message id that is not UUIDv7", () => {
    const v4 = "0190a0b0-1234-4abc-8def-0123456789ab";
    const error = errorOf(
      ClientFrame,
      sendFrame({ id: v4, kind: "message", body: "hi" }),
    );
    expect(error.field).toBe("message.id");
  });

  it("accepts a body at the byte limit and rejects one past it", () => {
    const atLimit = "a".repeat(MAX_BODY_BYTES);
    const ok = sendFrame({ id: MESSAGE_ID, kind: "message", body: atLimit });
    expect(ClientFrame.safeParse(ok).success).toBe(true);

    // Three bytes per character in UTF-8: the limit counts bytes, not chars.
    const wide = "€".repeat(Math.floor(MAX_BODY_BYTES / 3) + 1);
    const error = errorOf(
      ClientFrame,
      sendFrame({ id: MESSAGE_ID, kind: "message", body: wide }),
    );
    expect(error.code).toBe("too_large");
    expect(error.field).toBe("message.body");
  });

  it("requires exactly one direction in history", () => {
    const both = {
      type: "history",
      chatId: CHAT,
      beforeSeq: 5,
      afterSeq: 1,
      limit: 10,
    };
    expect(ClientFrame.safeParse(both).success).toBe(false);
    const neither = { type: "history", chatId: CHAT, limit: 10 };
    expect(ClientFrame.safeParse(neither).success).toBe(false);
  });
});

describe("server frames", () => {
  it("parses an error frame", () => {
    const frame = {
      type: "error",
      id: MESSAGE_ID,
      error: { code: "forbidden", message: "You are not a member." },
    };
    expect(ServerFrame.safeParse(frame).success).toBe(true);
  });
});

describe("HTTP bodies", () => {
  it("rejects a code that is not six digits", () => {
    const result = VerifyCodeBody.safeParse({
      phone: "+12025550123",
      code: "12345",
      deviceName: "Chrome",
    });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(describeIssue(result.error).field).toBe("code");
    }
  });

  it("limits a new group to the member limit", () => {
    const ids = Array.from({ length: MAX_GROUP_MEMBERS }, () => USER_ID);
    const result = CreateGroupBody.safeParse({ name: "Big", memberIds: ids });
    expect(result.success).toBe(false);
  });

  it("trims group names and rejects blank ones", () => {
    const result = CreateGroupBody.safeParse({ name: "   ", memberIds: [] });
    expect(result.success).toBe(false);
  });
});

describe("names", () => {
  it("accepts names in any script", () => {
    for (const name of ["Ana", "שרה", "佐藤", "Zoë 🌻"]) {
      expect(UpdateProfileBody.safeParse({ displayName: name }).success).toBe(
        true,
      );
    }
  });

  it("rejects a text-direction override in a display name", () => {
    const result = UpdateProfileBody.safeParse({
      displayName: "Ana\u202egnp.exe",
    });
    expect(result.success).toBe(false);
    if (result.success) return;
    const error = describeIssue(result.error);
    expect(error.field).toBe("displayName");
    expect(error.message).toContain("text-direction override");
  });

  it("rejects a lone surrogate in a name", () => {
    for (const displayName of ["Ana\ud800", "\udc00Ben", "Zoë 😀\ud83d"]) {
      const result = UpdateProfileBody.safeParse({ displayName });
      expect(result.success, JSON.stringify(displayName)).toBe(false);
    }
    const group = CreateGroupBody.safeParse({
      name: "Hikers\udfff",
      memberIds: [USER_ID],
    });
    expect(group.success).toBe(false);
  });

  it("rejects a control character in a group name", () => {
    const result = CreateGroupBody.safeParse({
      name: "Hikers\u0007",
      memberIds: [USER_ID],
    });
    expect(result.success).toBe(false);
  });
});
