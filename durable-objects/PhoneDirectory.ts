import { DurableObject } from "cloudflare:workers";
import {
  OTP_DIGITS,
  OTP_MAX_ATTEMPTS,
  OTP_SEND_WINDOW_MS,
  OTP_SENDS_PER_NUMBER,
  OTP_TTL_MS,
} from "../protocol/index.ts";
import {
  constantTimeEqual,
  randomDigits,
  sha256Hex,
} from "../worker/crypto.ts";
import { userHub, type Env } from "../worker/env.ts";
import { errorMessage, log } from "../worker/log.ts";
import { catchApiError, type Result } from "../worker/result.ts";
import { ApiError } from "../protocol/index.ts";
import { migrate } from "./schema.ts";
import { v7 as uuidv7 } from "uuid";

/** Texts kept per number in the development outbox. */
const OUTBOX_SIZE = 20;

const MIGRATIONS = [
  `CREATE TABLE account (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     user_id TEXT NOT NULL
   );
   CREATE TABLE challenge (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     code_hash TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL
   );
   CREATE TABLE code_send (sent_at INTEGER NOT NULL);
   CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     recipient TEXT NOT NULL,
     body TEXT NOT NULL,
     sent_at INTEGER NOT NULL
   );`,
  // People who saved this number as a contact while no account used it.
  `CREATE TABLE join_watcher (
     user_id TEXT PRIMARY KEY,
     watched_at INTEGER NOT NULL
   );`,
  // People who saved this number as a contact, whether or not an account
  // used it then. Their hubs are notified when an account starts or stops
  // using the number, and a row goes once its hub no longer has the
  // contact. NOTE: a contact saved while this table only recorded numbers
  // without an account has no row, so it stays linked to a deleted
  // account until the owner's next check of the number.
  `ALTER TABLE join_watcher RENAME TO contact_watcher;`,
];

type ChallengeRow = {
  code_hash: string;
  expires_at: number;
  attempts: number;
};

export interface IssuedCode {
  code: string;
  expiresAt: number;
}

export interface VerifiedAccount {
  userId: string;
  isNew: boolean;
}

export interface OutboxEntry {
  to: string;
  body: string;
  sentAt: number;
}

/**
 * One phone number (named by its E.164 form): the account that owns it, the
 * pending one-time code, recent code sends, and in development the outbox of
 * texts sent to it. Only the SHA-256 of a code is stored.
 */
export class PhoneDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // SQLite calls are synchronous; the gate still keeps requests out
    // until the schema is current.
    void ctx.blockConcurrencyWhile(() =>
      Promise.resolve(migrate(ctx.storage.sql, MIGRATIONS)),
    );
  }

  /**
   * Returns the id of the account using this number, or null. When
   * `watcherId` is given, records that person as having saved the number,
   * so that their hub is notified when an account starts or stops using it.
   */
  lookup(watcherId?: string, now = Date.now()): string | null {
    const row = this.ctx.storage.sql
      .exec<{ user_id: string }>("SELECT user_id FROM account")
      .toArray()[0];
    if (watcherId !== undefined) {
      this.ctx.storage.sql.exec(
        `INSERT INTO contact_watcher (user_id, watched_at) VALUES (?, ?)
         ON CONFLICT(user_id) DO UPDATE SET watched_at = excluded.watched_at`,
        watcherId,
        now,
      );
    }
    return row?.user_id ?? null;
  }

  /**
   * Notifies the hub of everyone who saved this number (`phone`, the name
   * of this object) that `userId`, a new account, now uses it. The Worker
   * calls this after the new account's hub has its profile, so the
   * profile is readable when the watchers' devices request it.
   */
  async announceJoin(phone: string, userId: string): Promise<void> {
    if (this.lookup() !== userId) return;
    const notified = await this.notifyWatchers("join", (hub) =>
      hub.numberJoined(phone, userId),
    );
    if (notified > 0) {
      log("phone.join_announced", { userId, watchers: notified });
    }
  }

  /**
   * Frees the number `phone` of `userId`, whose account was deleted, so
   * that the next sign-up with it creates a new account. A pending code
   * goes too, and the hubs of the people who saved the number unlink
   * their contact from the deleted account. Does nothing when another
   * account uses the number.
   */
  async release(phone: string, userId: string): Promise<boolean> {
    if (this.lookup() !== userId) return false;
    this.ctx.storage.sql.exec("DELETE FROM account");
    this.ctx.storage.sql.exec("DELETE FROM challenge");
    const notified = await this.notifyWatchers("release", (hub) =>
      hub.numberReleased(phone, userId),
    );
    log("phone.released", { userId, watchers: notified });
    return true;
  }

  /**
   * Calls `notify` on the hub of every contact watcher and deletes the
   * watchers whose hub returns false, because they no longer have the
   * number saved. A failed call keeps its watcher. Returns the number of
   * hubs called.
   *
   * NOTE: one call per watcher in this invocation. Cloudflare's Workers
   * limits page, which Durable Objects share, allows 50 subrequests per
   * request on the Free plan and 10,000 on Paid, so the calls beyond that
   * fail and those watchers keep a stale link.
   */
  private async notifyWatchers(
    reason: "join" | "release",
    notify: (hub: ReturnType<typeof userHub>) => Promise<boolean>,
  ): Promise<number> {
    const watchers = this.ctx.storage.sql
      .exec<{ user_id: string }>("SELECT user_id FROM contact_watcher")
      .toArray()
      .map((row) => row.user_id);
    const results = await Promise.all(
      watchers.map(async (watcherId) => {
        try {
          return await notify(userHub(this.env, watcherId));
        } catch (error) {
          log("phone.watcher_notify_failed", {
            reason,
            watcherId,
            error: errorMessage(error),
          });
          return true;
        }
      }),
    );
    const unsaved = watchers.filter((_watcherId, index) => !results[index]);
    if (unsaved.length > 0) {
      this.ctx.storage.sql.exec(
        `DELETE FROM contact_watcher
         WHERE user_id IN (SELECT value FROM json_each(?))`,
        JSON.stringify(unsaved),
      );
    }
    return watchers.length;
  }

  /**
   * Issues a new code, replacing any pending one, unless this number already
   * had OTP_SENDS_PER_NUMBER codes within OTP_SEND_WINDOW_MS.
   */
  async issueCode(now = Date.now()): Promise<Result<IssuedCode>> {
    const sql = this.ctx.storage.sql;
    // Hash before reading state: between the count check and the inserts
    // below there must be no await, or concurrent requests could pass the
    // limit together.
    const code = randomDigits(OTP_DIGITS);
    const codeHash = await sha256Hex(code);
    return catchApiError(() => {
      sql.exec(
        "DELETE FROM code_send WHERE sent_at <= ?",
        now - OTP_SEND_WINDOW_MS,
      );
      const sends = sql
        .exec<{ n: number; oldest: number | null }>(
          "SELECT COUNT(*) AS n, MIN(sent_at) AS oldest FROM code_send",
        )
        .one();
      if (sends.n >= OTP_SENDS_PER_NUMBER) {
        const oldest = sends.oldest ?? now;
        const retryAfter = Math.ceil(
          (oldest + OTP_SEND_WINDOW_MS - now) / 1000,
        );
        throw new ApiError(
          "rate_limited",
          `Too many codes were sent to this number. Try again in ${Math.ceil(retryAfter / 60)} minutes.`,
          undefined,
          retryAfter,
        );
      }
      const expiresAt = now + OTP_TTL_MS;
      sql.exec(
        "INSERT OR REPLACE INTO challenge (id, code_hash, expires_at, attempts) VALUES (1, ?, ?, 0)",
        codeHash,
        expiresAt,
      );
      sql.exec("INSERT INTO code_send (sent_at) VALUES (?)", now);
      return { code, expiresAt };
    });
  }

  /**
   * Checks a code. A right code ends the challenge and returns the account,
   * creating it on first sign-in. A wrong one uses up an attempt.
   */
  async verifyCode(
    code: string,
    now = Date.now(),
  ): Promise<Result<VerifiedAccount>> {
    const offeredHash = await sha256Hex(code);
    return catchApiError(async () => {
      const challenge = this.readChallenge();
      if (challenge === undefined) {
        throw new ApiError(
          "code_expired",
          "No code is pending for this number. Request a new code.",
          "code",
        );
      }
      if (
        now >= challenge.expires_at ||
        challenge.attempts >= OTP_MAX_ATTEMPTS
      ) {
        this.ctx.storage.sql.exec("DELETE FROM challenge");
        throw new ApiError(
          "code_expired",
          "The code expired. Request a new code.",
          "code",
        );
      }
      // Count the attempt before the first await, so parallel guesses
      // cannot all see the same attempt count.
      const attempts = challenge.attempts + 1;
      this.ctx.storage.sql.exec("UPDATE challenge SET attempts = ?", attempts);
      const matches = await constantTimeEqual(offeredHash, challenge.code_hash);
      if (!matches) this.rejectAttempt(attempts);
      this.ctx.storage.sql.exec("DELETE FROM challenge");
      return this.claimAccount();
    });
  }

  private readChallenge(): ChallengeRow | undefined {
    return this.ctx.storage.sql
      .exec<ChallengeRow>(
        "SELECT code_hash, expires_at, attempts FROM challenge",
      )
      .toArray()[0];
  }

  private rejectAttempt(attempts: number): never {
    const left = OTP_MAX_ATTEMPTS - attempts;
    if (left <= 0) {
      this.ctx.storage.sql.exec("DELETE FROM challenge");
      throw new ApiError(
        "code_expired",
        "The code is wrong and no attempts are left. Request a new code.",
        "code",
      );
    }
    const noun = left === 1 ? "attempt" : "attempts";
    throw new ApiError(
      "code_invalid",
      `The code is wrong; ${left} ${noun} left.`,
      "code",
    );
  }

  private claimAccount(): VerifiedAccount {
    const existing = this.lookup();
    if (existing !== null) return { userId: existing, isNew: false };
    const userId = uuidv7();
    this.ctx.storage.sql.exec(
      "INSERT INTO account (id, user_id) VALUES (1, ?)",
      userId,
    );
    return { userId, isNew: true };
  }

  /** Stores a text in the development outbox, keeping the newest 20. */
  recordSms(entry: OutboxEntry): void {
    const sql = this.ctx.storage.sql;
    sql.exec(
      "INSERT INTO outbox (recipient, body, sent_at) VALUES (?, ?, ?)",
      entry.to,
      entry.body,
      entry.sentAt,
    );
    sql.exec(
      "DELETE FROM outbox WHERE seq NOT IN (SELECT seq FROM outbox ORDER BY seq DESC LIMIT ?)",
      OUTBOX_SIZE,
    );
  }

  /** Returns the development outbox, oldest first. */
  listOutbox(): OutboxEntry[] {
    return this.ctx.storage.sql
      .exec<{ recipient: string; body: string; sent_at: number }>(
        "SELECT recipient, body, sent_at FROM outbox ORDER BY seq",
      )
      .toArray()
      .map((row) => ({
        to: row.recipient,
        body: row.body,
        sentAt: row.sent_at,
      }));
  }
}
