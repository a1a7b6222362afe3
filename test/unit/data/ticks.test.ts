import { describe, expect, it } from "vitest";
import type { ChatDetail } from "../../../protocol/index.ts";
import type { ReceiptRow } from "../../../pwa/src/data/db.ts";
import {
  othersOf,
  receiptDetailOf,
  tickOf,
  visibleReceipts,
} from "../../../pwa/src/data/receipts.ts";
import { CHAT, ME, PEER } from "./fixtures.ts";

const THIRD = "0190a0b0-0000-7000-8000-00000000000c";

function receipt(
  userId: string,
  deliveredSeq: number,
  readSeq: number,
): ReceiptRow {
  return { chatId: CHAT, userId, deliveredSeq, readSeq };
}

const sent = { seq: 5, status: "sent" } as const;

describe("tick rules", () => {
  it("shows pending and failed from the status", () => {
    expect(tickOf({ seq: null, status: "pending" }, [])).toBe("pending");
    expect(tickOf({ seq: null, status: "failed" }, [])).toBe("failed");
  });

  it("shows sent until every other member has it", () => {
    const others = [receipt(PEER, 5, 0), receipt(THIRD, 4, 0)];
    expect(tickOf(sent, others)).toBe("sent");
  });

  it("shows delivered when every other member has it", () => {
    const others = [receipt(PEER, 5, 0), receipt(THIRD, 9, 3)];
    expect(tickOf(sent, others)).toBe("delivered");
  });

  it("shows read only when every other member read it", () => {
    expect(tickOf(sent, [receipt(PEER, 5, 5), receipt(THIRD, 5, 4)])).toBe(
      "delivered",
    );
    expect(tickOf(sent, [receipt(PEER, 6, 6), receipt(THIRD, 5, 5)])).toBe(
      "read",
    );
  });

  it("shows sent with nobody else known", () => {
    expect(tickOf(sent, [])).toBe("sent");
  });

  it("leaves out our own positions", () => {
    const rows = [receipt(ME, 0, 0), receipt(PEER, 5, 5)];
    expect(othersOf(ME, rows, undefined).map((row) => row.userId)).toEqual([
      PEER,
    ]);
  });

  it("counts only current members when the detail is known", () => {
    const detail: ChatDetail = {
      id: CHAT,
      kind: "group",
      name: "G",
      createdAt: 0,
      createdBy: ME,
      lastSeq: 5,
      members: [
        { userId: ME, role: "admin", joinedAt: 0, deliveredSeq: 5, readSeq: 5 },
        {
          userId: PEER,
          role: "member",
          joinedAt: 0,
          deliveredSeq: 0,
          readSeq: 0,
        },
      ],
    };
    // THIRD left and never read; PEER's newer receipt wins over the detail.
    const rows = [receipt(PEER, 5, 5), receipt(THIRD, 0, 0)];
    const others = othersOf(ME, rows, detail);
    expect(others).toEqual([receipt(PEER, 5, 5)]);
    expect(tickOf(sent, others)).toBe("read");
  });

  it("lists delivered and read per member", () => {
    const detail = receiptDetailOf(5, [
      receipt(PEER, 5, 4),
      receipt(THIRD, 4, 0),
    ]);
    expect(detail).toEqual([
      { userId: PEER, delivered: true, read: false },
      { userId: THIRD, delivered: false, read: false },
    ]);
  });
});

describe("read receipts setting", () => {
  const GROUP = "g_0190a0b0-0000-7000-8000-000000000001";

  it("hides read positions in direct chats when off", () => {
    const shown = visibleReceipts([receipt(PEER, 5, 5)], CHAT, false);
    expect(shown[0]?.readSeq).toBe(0);
    expect(shown[0]?.deliveredSeq).toBe(5);
    expect(tickOf(sent, shown)).toBe("delivered");
  });

  it("keeps read positions in groups when off", () => {
    const shown = visibleReceipts([receipt(PEER, 5, 5)], GROUP, false);
    expect(tickOf(sent, shown)).toBe("read");
  });

  it("keeps read positions when on", () => {
    const shown = visibleReceipts([receipt(PEER, 5, 5)], CHAT, true);
    expect(tickOf(sent, shown)).toBe("read");
  });
});
