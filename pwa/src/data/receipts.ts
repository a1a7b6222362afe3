import type { ChatDetail } from "../../../protocol/index.ts";
import { db, type ReceiptRow } from "./db.ts";
import type { MessageRow, ReceiptDetail, Tick } from "./types.ts";
import { sendFrame } from "./wire.ts";

/**
 * Receipts both ways. Outgoing: `delivered` once messages from others are
 * stored here, and `read` when the person reads a chat (markRead). Incoming:
 * each member's positions, from which the ticks of our own messages follow:
 * sent = has a seq, delivered = every other member's deliveredSeq >= seq,
 * read = every other member's readSeq >= seq.
 */

/**
 * Returns the other members' positions. With a fetched member list only
 * current members count, so someone who left does not hold back a tick.
 * Without it, every member the server reported positions for counts.
 */
export function othersOf(
  me: string,
  receipts: readonly ReceiptRow[],
  detail: ChatDetail | undefined,
): ReceiptRow[] {
  const byUser = new Map(receipts.map((row) => [row.userId, row]));
  if (detail === undefined) {
    return receipts.filter((row) => row.userId !== me);
  }
  return detail.members
    .filter((member) => member.userId !== me)
    .map(
      (member) =>
        byUser.get(member.userId) ?? {
          chatId: detail.id,
          userId: member.userId,
          deliveredSeq: member.deliveredSeq,
          readSeq: member.readSeq,
        },
    );
}

/**
 * Hides read positions in a one-to-one chat while our own read receipts
 * are off, as the server does for frames sent after the change. Positions
 * stored before the change would otherwise still show "Read".
 */
export function visibleReceipts(
  others: ReceiptRow[],
  chatId: string,
  sharesRead: boolean,
): ReceiptRow[] {
  if (sharesRead || !chatId.startsWith("dm_")) return others;
  return others.map((row) => ({ ...row, readSeq: 0 }));
}

/** Returns the tick of one of our own messages, given the other members. */
export function tickOf(
  message: Pick<MessageRow, "seq" | "status">,
  others: readonly ReceiptRow[],
): Tick {
  if (message.status === "failed") return "failed";
  const seq = message.seq;
  if (message.status === "pending" || seq === null) return "pending";
  if (others.length === 0) return "sent";
  if (others.every((other) => other.readSeq >= seq)) return "read";
  if (others.every((other) => other.deliveredSeq >= seq)) return "delivered";
  return "sent";
}

export function receiptDetailOf(
  seq: number,
  others: readonly ReceiptRow[],
): ReceiptDetail[] {
  return others.map((other) => ({
    userId: other.userId,
    delivered: other.deliveredSeq >= seq,
    read: other.readSeq >= seq,
  }));
}

/** Stores a member's positions as the server reported them. */
export async function storeReceipt(row: ReceiptRow): Promise<void> {
  // Taken as sent rather than merged upward: a member who turns read
  // receipts off is reported with readSeq 0 from then on.
  await db.receipts.put(row);
}

// ---- outgoing receipts -----------------------------------------------------

/** Highest sequence sent per chat and kind, so nothing is sent twice. */
const sent = {
  delivered: new Map<string, number>(),
  read: new Map<string, number>(),
};
/** Receipts that could not leave because the socket was down. */
const unsent = {
  delivered: new Map<string, number>(),
  read: new Map<string, number>(),
};

type ReceiptKind = keyof typeof sent;

export function sendReceipt(kind: ReceiptKind, chatId: string, seq: number) {
  if (seq < 1 || (sent[kind].get(chatId) ?? 0) >= seq) return;
  if (sendFrame({ type: "receipt", chatId, kind, seq })) {
    sent[kind].set(chatId, seq);
    unsent[kind].delete(chatId);
  } else {
    unsent[kind].set(chatId, Math.max(seq, unsent[kind].get(chatId) ?? 0));
  }
}

/** Sends the receipts held back while offline, once a socket is up. */
export function flushReceipts(): void {
  for (const kind of ["delivered", "read"] as const) {
    for (const [chatId, seq] of [...unsent[kind]]) {
      sendReceipt(kind, chatId, seq);
    }
  }
}

/** Forgets what was sent, so a new connection may repeat the positions. */
export function resetReceipts(): void {
  for (const map of [
    sent.delivered,
    sent.read,
    unsent.delivered,
    unsent.read,
  ]) {
    map.clear();
  }
}
