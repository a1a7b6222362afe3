import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env.ts";
import { migrate } from "./schema.ts";

const MIGRATIONS = [
  `CREATE TABLE window_counter (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     window_start INTEGER NOT NULL,
     count INTEGER NOT NULL
   )`,
];

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the current window ends; 0 when allowed. */
  retryAfter: number;
}

/**
 * A fixed-window counter for one key, such as `otp-send-ip:<address>`. The
 * object is named by the key, so each key has its own counter.
 */
export class RateLimiter extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite calls are synchronous; the gate still keeps requests out
    // until the schema is current.
    void ctx.blockConcurrencyWhile(() =>
      Promise.resolve(migrate(ctx.storage.sql, MIGRATIONS)),
    );
  }

  /** Counts one event and reports whether it fits `limit` per `windowMs`. */
  hit(limit: number, windowMs: number, now = Date.now()): RateDecision {
    return this.take(limit, windowMs, 1, now);
  }

  /**
   * Counts `amount` units (bytes, for instance) and reports whether they
   * fit `limit` per `windowMs`. Units that do not fit are not counted.
   */
  take(
    limit: number,
    windowMs: number,
    amount: number,
    now = Date.now(),
  ): RateDecision {
    const sql = this.ctx.storage.sql;
    const row = sql
      .exec<{ window_start: number; count: number }>(
        "SELECT window_start, count FROM window_counter WHERE id = 1",
      )
      .toArray()[0];
    const fresh = row === undefined || now - row.window_start >= windowMs;
    const windowStart = fresh ? now : row.window_start;
    const count = fresh ? 0 : row.count;
    if (count + amount > limit) {
      const retryAfter = Math.ceil((windowStart + windowMs - now) / 1000);
      return { allowed: false, retryAfter: Math.max(retryAfter, 1) };
    }
    sql.exec(
      "INSERT OR REPLACE INTO window_counter (id, window_start, count) VALUES (1, ?, ?)",
      windowStart,
      count + amount,
    );
    return { allowed: true, retryAfter: 0 };
  }
}
