import { countEventForDevelopment } from "./dev-counters.ts";
import type { Env } from "./env.ts";

/**
 * Counters for dashboards. Each event is one data point in the Workers
 * Analytics Engine dataset bound as METRICS (wrangler.toml): `index1` and
 * `blob1` are the event name, `blob2` a detail such as a call's outcome
 * or a chat's kind, and `double1` the amount. A dashboard sums
 * `_sample_interval * double1` by `blob1` (docs/deploy.md has the query).
 * writeDataPoint returns nothing to wait for, so counting adds no wait to
 * a request. Without the binding nothing is written. In development the
 * counts also go to GET /api/dev/counters for tests.
 */
export type MetricEvent =
  | "message.stored"
  | "message.delivered"
  | "message.delivery_failed"
  | "push.sent"
  | "push.failed"
  | "call.started"
  | "call.ended"
  | "groupcall.started"
  | "groupcall.ended"
  | "socket.opened"
  | "chat.reported"
  | "account.deleted";

export function countEvent(
  env: Pick<Env, "METRICS" | "ENVIRONMENT">,
  event: MetricEvent,
  options: { amount?: number; detail?: string } = {},
): void {
  const amount = options.amount ?? 1;
  const detail = options.detail ?? "";
  env.METRICS?.writeDataPoint({
    indexes: [event],
    blobs: [event, detail],
    doubles: [amount],
  });
  countEventForDevelopment(
    env,
    detail === "" ? event : `${event}:${detail}`,
    amount,
  );
}
