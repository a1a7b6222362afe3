import type { Env } from "./env.ts";

/**
 * Counts of what Cloudflare bills, kept only when `ENVIRONMENT` is
 * "development" so the benchmarks can read them at GET /api/dev/counters:
 *
 * - `invocations`: Durable Object calls by object kind and method
 *   ("UserHub.deliver"), counted where a stub is called, plus the handlers
 *   the runtime calls itself ("UserHub.webSocketMessage", "UserHub.alarm")
 *   and the Worker's own requests ("Worker.fetch");
 * - `rowsWritten`: SQLite rows written, as `SqlStorageCursor.rowsWritten`
 *   reports them, by object kind;
 * - `events`: the amounts of the dashboard counters of worker/metrics.ts,
 *   by event name and detail ("call.ended:missed").
 *
 * The counts are module state. NOTE: they cover every object only because
 * workerd in development runs the Worker and all its Durable Objects in one
 * isolate. On Cloudflare each object runs apart, so the counters stay off
 * outside development.
 */
const invocations = new Map<string, number>();
const rowsWritten = new Map<string, number>();
const events = new Map<string, number>();

/** Object kinds whose calls and rows are counted. */
export type CountedKind =
  "Worker" | "UserHub" | "ChatRoom" | "PhoneDirectory" | "RateLimiter";

/** The counts since the last reset, as GET /api/dev/counters returns them. */
export interface DevCounts {
  invocations: Record<string, number>;
  rowsWritten: Record<string, number>;
  events: Record<string, number>;
}

function isCounting(env: Pick<Env, "ENVIRONMENT">): boolean {
  return env.ENVIRONMENT === "development";
}

function add(map: Map<string, number>, key: string, amount: number): void {
  map.set(key, (map.get(key) ?? 0) + amount);
}

/** Adds `amount` to the development count of the metric `key`. */
export function countEventForDevelopment(
  env: Pick<Env, "ENVIRONMENT">,
  key: string,
  amount: number,
): void {
  if (isCounting(env)) add(events, key, amount);
}

/** Counts one invocation of `handler` on an object of `kind`. */
export function countInvocation(
  env: Pick<Env, "ENVIRONMENT">,
  kind: CountedKind,
  handler: string,
): void {
  if (isCounting(env)) add(invocations, `${kind}.${handler}`, 1);
}

/**
 * Returns `stub` with every method call counted as an invocation of
 * `kind`, or `stub` itself outside development.
 */
export function countedStub<T extends object>(
  env: Pick<Env, "ENVIRONMENT">,
  kind: CountedKind,
  stub: T,
): T {
  if (!isCounting(env)) return stub;
  return new Proxy(stub, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== "string" || typeof value !== "function") {
        return value;
      }
      return (...args: unknown[]): unknown => {
        add(invocations, `${kind}.${property}`, 1);
        return Reflect.apply(value, target, args) as unknown;
      };
    },
  });
}

/**
 * Returns `sql` with the rows written by every statement added to the
 * count of `kind`, or `sql` itself outside development. A statement
 * without result rows (INSERT, UPDATE, DELETE) runs to completion inside
 * `exec`, so its `rowsWritten` is final when `exec` returns.
 */
export function countedSql(
  env: Pick<Env, "ENVIRONMENT">,
  kind: CountedKind,
  sql: SqlStorage,
): SqlStorage {
  if (!isCounting(env)) return sql;
  function exec<T extends Record<string, SqlStorageValue>>(
    query: string,
    ...bindings: unknown[]
  ): SqlStorageCursor<T> {
    const cursor = sql.exec<T>(query, ...bindings);
    add(rowsWritten, kind, cursor.rowsWritten);
    return cursor;
  }
  return new Proxy(sql, {
    get(target, property) {
      if (property === "exec") return exec;
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]): unknown =>
        Reflect.apply(value, target, args) as unknown;
    },
  });
}

/** Returns the counts since the last reset. */
export function readCounts(): DevCounts {
  return {
    invocations: Object.fromEntries(invocations),
    rowsWritten: Object.fromEntries(rowsWritten),
    events: Object.fromEntries(events),
  };
}

/** Sets every count back to zero. */
export function resetCounts(): void {
  invocations.clear();
  rowsWritten.clear();
  events.clear();
}
