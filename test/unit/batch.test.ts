import { describe, expect, it } from "vitest";
import { v4 as uuidv4, v7 as uuidv7 } from "uuid";
import {
  compactId,
  compactUuid,
  decodeMessageBatch,
  encodeMessageBatch,
  expandUuid,
  type StoredMessage,
} from "../../protocol/index.ts";

describe("compactUuid", () => {
  it("round-trips random UUIDs", () => {
    for (let i = 0; i < 200; i += 1) {
      const uuid = i % 2 === 0 ? uuidv7() : uuidv4();
      const compact = compactUuid(uuid);
      expect(compact).toHaveLength(22);
      expect(compactId.safeParse(compact).success).toBe(true);
      expect(expandUuid(compact)).toBe(uuid);
    }
  });

  it("keeps the extreme values", () => {
    const zero = "00000000-0000-0000-0000-000000000000";
    const ones = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    expect(compactUuid(zero)).toBe("A".repeat(22));
    expect(expandUuid(compactUuid(zero))).toBe(zero);
    expect(compactUuid(ones)).toBe(`${"_".repeat(21)}w`);
    expect(expandUuid(compactUuid(ones))).toBe(ones);
  });
});

function message(seq: number, ts: number): StoredMessage {
  return {
    id: uuidv7(),
    chatId: "dm_0123456789abcdef0123456789abcdef",
    seq,
    kind: "message",
    ref: null,
    senderId: uuidv4(),
    senderDeviceId: null,
    body: `m${seq}`,
    ts,
    deleted: false,
  };
}

describe("encodeMessageBatch", () => {
  it("keeps a clock that went back", () => {
    const messages = [message(7, 1000), message(8, 990), message(9, 1005)];
    const page = { chatId: messages[0]!.chatId, messages, hasMore: true };
    const batch = encodeMessageBatch(page, undefined);
    expect(batch).not.toBeNull();
    expect(decodeMessageBatch(batch!)).toEqual(messages);
    expect(batch!.rid).toBeUndefined();
  });

  it("returns null for a gap in the sequences", () => {
    const messages = [message(1, 1000), message(3, 1001)];
    const page = { chatId: messages[0]!.chatId, messages, hasMore: false };
    expect(encodeMessageBatch(page, "r")).toBeNull();
  });

  it("returns null for an empty page", () => {
    const page = {
      chatId: "dm_0123456789abcdef0123456789abcdef",
      messages: [],
      hasMore: false,
    };
    expect(encodeMessageBatch(page, "r")).toBeNull();
  });
});
