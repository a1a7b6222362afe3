import {
  TYPING_REPEAT_MS,
  TYPING_TTL_MS,
  type TypingState,
} from "../../protocol/index.ts";
import { userHub, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import type { RoomStore } from "./store.ts";

/**
 * A viewer registration lasts this long unless its hub renews it. Hubs
 * renew every 5 minutes while a device views the chat, so a lost "stop
 * viewing" call leaks for at most this long.
 */
export const VIEWER_TTL_MS = 10 * 60_000;

/**
 * Relays typing state to the members whose devices view the chat. Typing is
 * never written to the message log. Viewers live in SQLite with an expiry,
 * not in memory, because a room with no traffic is evicted within minutes
 * and would otherwise forget them until the next renewal.
 */
export class TypingRelay {
  /** Last relayed "typing" per member, in memory: losing it is harmless. */
  private readonly lastTyping = new Map<string, number>();
  /**
   * Ids of the people blocked by someone else in this chat, as
   * `isBlockedByOther` last read them. Each send in a direct chat checks
   * them, and only setBlocked changes them.
   */
  private blockedByOther: Set<string> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly store: RoomStore,
    private readonly env: Env,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
  ) {}

  setViewer(userId: string, on: boolean, now: number): void {
    if (on) {
      this.sql.exec(
        `INSERT INTO viewer (user_id, expires_at) VALUES (?, ?)
         ON CONFLICT(user_id) DO UPDATE SET expires_at = excluded.expires_at`,
        userId,
        now + VIEWER_TTL_MS,
      );
    } else {
      this.sql.exec("DELETE FROM viewer WHERE user_id = ?", userId);
    }
  }

  /** Members other than `exceptId` with a live viewer registration. */
  viewers(exceptId: string, now: number): string[] {
    this.sql.exec("DELETE FROM viewer WHERE expires_at <= ?", now);
    const rows = this.sql
      .exec<{ user_id: string }>("SELECT user_id FROM viewer")
      .toArray();
    return rows
      .map((row) => row.user_id)
      .filter((id) => id !== exceptId && this.store.member(id) !== undefined);
  }

  /**
   * Sends `state` of `userId` to the viewing members' hubs. A "typing"
   * repeat within TYPING_REPEAT_MS of the last relayed one is dropped, so
   * a client cannot make the room wake every hub at its keystroke rate.
   * Returns the number of hubs called.
   */
  relay(userId: string, state: TypingState, now: number): number {
    if (state === "typing") {
      const last = this.lastTyping.get(userId) ?? 0;
      if (now - last < TYPING_REPEAT_MS) return 0;
      this.lastTyping.set(userId, now);
    } else {
      this.lastTyping.delete(userId);
    }
    const chatId = this.store.chat()?.chat_id;
    if (chatId === undefined) return 0;
    const frame = {
      chatId,
      userId,
      state,
      expiresAt: now + TYPING_TTL_MS,
    };
    const viewers = this.viewers(userId, now);
    for (const viewerId of viewers) {
      const hub = userHub(this.env, viewerId);
      this.waitUntil(
        hub.typingChanged(frame).catch((error: unknown) => {
          log("room.typing_failed", {
            chatId,
            userId: viewerId,
            error: errorMessage(error),
          });
        }),
      );
    }
    return viewers.length;
  }

  /** Forgets the typing of `userId`, whose message just arrived. */
  messageSent(userId: string): void {
    this.lastTyping.delete(userId);
  }

  setBlocked(blockerId: string, blockedId: string, on: boolean): void {
    this.blockedByOther = undefined;
    if (on) {
      this.sql.exec(
        "INSERT OR IGNORE INTO block (blocker_id, blocked_id) VALUES (?, ?)",
        blockerId,
        blockedId,
      );
    } else {
      this.sql.exec(
        "DELETE FROM block WHERE blocker_id = ? AND blocked_id = ?",
        blockerId,
        blockedId,
      );
    }
  }

  /** Returns whether any other member blocked `userId`. */
  isBlockedByOther(userId: string): boolean {
    this.blockedByOther ??= new Set(
      this.sql
        .exec<{ blocked_id: string }>(
          "SELECT blocked_id FROM block WHERE blocker_id != blocked_id",
        )
        .toArray()
        .map((row) => row.blocked_id),
    );
    return this.blockedByOther.has(userId);
  }
}
