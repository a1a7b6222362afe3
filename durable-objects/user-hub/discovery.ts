import {
  ApiError,
  DISCOVERY_NUMBERS_PER_DAY,
  type PublicProfile,
} from "../../protocol/index.ts";
import { sha256Hex } from "../../worker/crypto.ts";
import { phoneDirectory, userHub, type Env } from "../../worker/env.ts";

/** The window of the discovery limit: a rolling 24 hours, in ms. */
export const DISCOVERY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Number lookups one request runs at a time. Cloudflare's Workers limits
 * page allows six simultaneous outgoing connections per request, so a
 * larger pool may only queue, and a smaller one would slow an import.
 */
export const LOOKUP_CONCURRENCY = 6;

/**
 * Policy for numbers beyond the remaining limit: "all" rejects the whole
 * request, and "partial" checks as many as fit.
 */
export type ReserveMode = "all" | "partial";

export interface Reservation {
  /** The numbers to check, in request order: repeats and those that fit. */
  allowed: string[];
  /** Distinct numbers the person may still check in the window. */
  remaining: number;
}

/** Seconds, minutes or hours in words, rounded up, for error messages. */
function describeWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return hours === 1 ? "1 hour" : `${hours} hours`;
}

/**
 * The daily discovery limit of one person: the SHA-256 of each number
 * checked in the last 24 hours with the time of its latest check. A
 * number checked again within the window costs nothing more and moves its
 * time forward, so the table contains the distinct numbers of the window and
 * never more than the limit. Rows older than the window are deleted at
 * each reservation.
 */
export class DiscoveryQuota {
  constructor(
    private readonly sql: SqlStorage,
    private readonly limit = DISCOVERY_NUMBERS_PER_DAY,
  ) {}

  /**
   * Hashes `phones` and reserves checks for them. In "all" mode a request
   * with more new numbers than remain raises rate_limited and records
   * nothing. In "partial" mode the new numbers beyond the limit are left
   * out of `allowed`.
   */
  async reserve(
    phones: readonly string[],
    mode: ReserveMode,
    now = Date.now(),
  ): Promise<Reservation> {
    const unique = [...new Set(phones)];
    const hashes = await Promise.all(unique.map((phone) => sha256Hex(phone)));
    // No await from here on, so concurrent requests cannot both take the
    // last room in the window.
    this.prune(now);
    const known = this.known(hashes);
    const used = this.used();
    const room = Math.max(0, this.limit - used);
    const allowed: string[] = [];
    const allowedHashes: string[] = [];
    let fresh = 0;
    let over = 0;
    unique.forEach((phone, index) => {
      const hash = hashes[index] ?? "";
      if (!known.has(hash)) {
        if (fresh >= room) {
          over += 1;
          return;
        }
        fresh += 1;
      }
      allowed.push(phone);
      allowedHashes.push(hash);
    });
    if (mode === "all" && over > 0) {
      throw this.limitError(fresh + over, room, now);
    }
    this.record(allowedHashes, now);
    return { allowed, remaining: room - fresh };
  }

  /** Returns how many new numbers the person may still check now. */
  remaining(now = Date.now()): number {
    this.prune(now);
    return Math.max(0, this.limit - this.used());
  }

  private prune(now: number): void {
    this.sql.exec(
      "DELETE FROM discovery_check WHERE checked_at <= ?",
      now - DISCOVERY_WINDOW_MS,
    );
  }

  private known(hashes: readonly string[]): Set<string> {
    const rows = this.sql
      .exec<{ phone_hash: string }>(
        `SELECT phone_hash FROM discovery_check
         WHERE phone_hash IN (SELECT value FROM json_each(?))`,
        JSON.stringify(hashes),
      )
      .toArray();
    return new Set(rows.map((row) => row.phone_hash));
  }

  private used(): number {
    return this.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM discovery_check")
      .one().n;
  }

  private record(hashes: readonly string[], now: number): void {
    if (hashes.length === 0) return;
    // "WHERE true" keeps SQLite from reading ON CONFLICT as a join clause.
    this.sql.exec(
      `INSERT INTO discovery_check (phone_hash, checked_at)
       SELECT value, ? FROM json_each(?) WHERE true
       ON CONFLICT(phone_hash) DO UPDATE SET checked_at = excluded.checked_at`,
      now,
      JSON.stringify(hashes),
    );
  }

  /**
   * Builds the rate_limited error for `requested` new numbers when only
   * `room` remain. `retryAfter` is when enough of the oldest checks leave the
   * window for the request to fit.
   */
  private limitError(requested: number, room: number, now: number): ApiError {
    const needed = requested - room;
    const row = this.sql
      .exec<{ checked_at: number }>(
        "SELECT checked_at FROM discovery_check ORDER BY checked_at LIMIT 1 OFFSET ?",
        needed - 1,
      )
      .toArray()[0];
    const freeAt = (row?.checked_at ?? now) + DISCOVERY_WINDOW_MS;
    const retryAfter = Math.max(1, Math.ceil((freeAt - now) / 1000));
    const wait = describeWait(retryAfter);
    const message =
      room === 0
        ? `You checked ${this.limit} phone numbers for accounts in the last 24 hours, the daily maximum. Try again in ${wait}.`
        : `This request has ${requested} new phone numbers, but only ${room} of your ${this.limit} daily number checks are left. Try again in ${wait}, or send fewer numbers.`;
    return new ApiError("rate_limited", message, undefined, retryAfter);
  }
}

/** The account found for a number, as the person checking may see it. */
export interface NumberMatch {
  phone: string;
  user: PublicProfile;
}

/**
 * Runs `task` on every item with at most `limit` tasks in flight and
 * returns the results in the order of `items`.
 */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  const workers = Math.min(limit, items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/**
 * Looks up the account of each number in its PhoneDirectory and reads
 * that account's profile as `viewer` may see it. `ownProfile` serves the
 * viewer's own number, so the hub never calls itself. Numbers without an
 * account are left out. For those in `watch`, the directory records the
 * viewer, whose hub then hears when an account is created for the number.
 *
 * NOTE: up to two calls per number, so about 400 for MAX_DISCOVERY_BATCH
 * numbers. The Workers Free plan allows 50 subrequests per request, which
 * is about 24 numbers; deployments need the Paid plan.
 */
export async function findAccounts(
  env: Env,
  phones: readonly string[],
  viewer: { id: string; ownProfile: () => PublicProfile | null },
  watch: ReadonlySet<string> = new Set(),
): Promise<NumberMatch[]> {
  const found = await mapWithLimit(
    phones,
    LOOKUP_CONCURRENCY,
    async (phone) => {
      const watcherId = watch.has(phone) ? viewer.id : undefined;
      const userId = await phoneDirectory(env, phone).lookup(watcherId);
      if (userId === null) return null;
      const user =
        userId === viewer.id
          ? viewer.ownProfile()
          : await userHub(env, userId).getProfile(viewer.id);
      return user === null ? null : { phone, user };
    },
  );
  return found.filter((match) => match !== null);
}
