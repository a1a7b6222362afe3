import type { Fanout } from "./fanout.ts";

/**
 * Milliseconds a room collects receipt changes before it sends them. The
 * members of a group report `delivered` for a new message within a few
 * milliseconds of each other, so one call to the author's hub carries
 * most of them, and ticks show at most this much later. The value is an
 * estimate, not a measured optimum.
 */
export const RECEIPT_COALESCE_MS = 50;

/**
 * Collects receipt changes and sends them, masked per recipient, to the
 * hubs of the people whose ticks they change: the authors of the messages
 * that a member's delivered or read position moved past. Other members
 * get every position with their next `sync`. Positions are read from the
 * store when the batch leaves, so a batch always carries the newest ones.
 */
export class ReceiptCoalescer {
  /** Recipient user id → members whose positions the recipient is owed. */
  private readonly pending = new Map<string, Set<string>>();
  private scheduled = false;

  constructor(
    private readonly fanout: Fanout,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  /** Queues the positions of `userId` for each of `recipientIds`. */
  add(userId: string, recipientIds: string[]): void {
    for (const recipientId of recipientIds) {
      if (recipientId === userId) continue;
      const owed = this.pending.get(recipientId) ?? new Set<string>();
      owed.add(userId);
      this.pending.set(recipientId, owed);
    }
    if (this.pending.size === 0 || this.scheduled) return;
    this.scheduled = true;
    this.waitUntil(
      new Promise<void>((resolve) => {
        setTimeout(() => {
          this.flush();
          resolve();
        }, RECEIPT_COALESCE_MS);
      }),
    );
  }

  private flush(): void {
    this.scheduled = false;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [recipientId, userIds] of batches) {
      this.fanout.receipts([...userIds], [recipientId]);
    }
  }
}
