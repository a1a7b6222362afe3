import { buildPushPayload, type VapidKeys } from "@block65/webcrypto-web-push";
import type { PushPayload } from "../../protocol/index.ts";
import { isDevPushEndpoint, receiveDevPush } from "../../worker/dev-push.ts";
import { isDevelopment, type Env } from "../../worker/env.ts";
import { errorMessage, log } from "../../worker/log.ts";
import { countEvent } from "../../worker/metrics.ts";
import type { PushStore, StoredSubscription } from "./push-store.ts";

/** How long a push service keeps an undelivered push: 24 hours, in s. */
export const PUSH_TTL_S = 24 * 60 * 60;

/** Requests per push before it is logged and dropped. */
export const MAX_PUSH_ATTEMPTS = 3;

/** Wait before the second attempt, doubled for each further one, in ms. */
export const PUSH_RETRY_MS = 1000;

/** Longest Retry-After of a push service that is waited for, in s. */
export const MAX_PUSH_RETRY_AFTER_S = 30;

export interface PushOptions {
  /** Topic header: at most 32 base64url characters (RFC 8030), or none. */
  topic: string | undefined;
  urgency: "normal" | "high";
  /** Seconds the push service keeps the push; default PUSH_TTL_S. */
  ttl?: number | undefined;
}

type PushRequest = Awaited<ReturnType<typeof buildPushPayload>>;

/**
 * Sends Web Push messages to the subscriptions of one person's devices,
 * encrypted with aes128gcm and signed with VAPID by
 * @block65/webcrypto-web-push. 404 and 410 from the push service delete
 * the subscription; 429, 5xx and network errors are retried, unless the
 * device unsubscribed meanwhile. Logs carry the status, device id,
 * endpoint origin and attempt, never the payload.
 */
export class PushSender {
  constructor(
    private readonly env: Env,
    private readonly store: PushStore,
  ) {}

  /** Sends `payload` to one subscription, retrying as described above. */
  async send(
    vapid: VapidKeys,
    subscription: StoredSubscription,
    payload: PushPayload,
    options: PushOptions,
  ): Promise<void> {
    const ids = {
      deviceId: subscription.deviceId,
      origin: new URL(subscription.endpoint).origin,
      type: payload.type,
    };
    let request: PushRequest;
    try {
      request = await buildPushPayload(
        {
          data: payload,
          options: {
            topic: options.topic,
            urgency: options.urgency,
            ttl: options.ttl ?? PUSH_TTL_S,
          },
        },
        subscription,
        vapid,
      );
    } catch (error) {
      log("push.build_failed", { ...ids, error: errorMessage(error) });
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.post(subscription.endpoint, request, vapid);
      const status = outcome.status;
      if (status !== null && status >= 200 && status < 300) {
        log("push.sent", { ...ids, status, attempt });
        countEvent(this.env, "push.sent", { detail: ids.type });
        return;
      }
      if (status === 404 || status === 410) {
        const { deviceId, endpoint } = subscription;
        const deleted = this.store.deleteExpired(deviceId, endpoint);
        log("push.subscription_expired", { ...ids, status, attempt, deleted });
        return;
      }
      const retryable = status === null || status === 429 || status >= 500;
      if (!retryable || attempt >= MAX_PUSH_ATTEMPTS) {
        log("push.failed", { ...ids, status, attempt, error: outcome.error });
        countEvent(this.env, "push.failed", { detail: ids.type });
        return;
      }
      const delayMs = retryDelayMs(attempt, outcome.retryAfter);
      log("push.retry", {
        ...ids,
        status,
        attempt,
        delayMs,
        error: outcome.error,
      });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      // The device may have turned notifications off during the wait.
      const current = this.store.subscription(subscription.deviceId);
      if (current?.endpoint !== subscription.endpoint) {
        log("push.dropped", { ...ids, attempt, reason: "unsubscribed" });
        return;
      }
    }
  }

  /**
   * Posts one finished push request. In development an endpoint on the
   * development push host goes to worker/dev-push.ts instead of the
   * network. Returns the status, or null with the error on a network
   * failure.
   */
  private async post(
    endpoint: string,
    request: PushRequest,
    vapid: VapidKeys,
  ): Promise<{
    status: number | null;
    retryAfter: string | null;
    error?: string;
  }> {
    try {
      const response =
        isDevelopment(this.env) && isDevPushEndpoint(endpoint)
          ? await receiveDevPush(
              endpoint,
              { headers: request.headers, body: request.body },
              vapid.publicKey ?? "",
            )
          : await fetch(endpoint, {
              method: "POST",
              headers: request.headers,
              body: request.body,
            });
      // Only the status matters; the body is not read.
      await response.body?.cancel();
      return {
        status: response.status,
        retryAfter: response.headers.get("Retry-After"),
      };
    } catch (error) {
      return { status: null, retryAfter: null, error: errorMessage(error) };
    }
  }
}

/**
 * Returns the wait before the next attempt: the push service's Retry-After
 * (seconds or an HTTP date) up to MAX_PUSH_RETRY_AFTER_S, else PUSH_RETRY_MS
 * doubled per attempt.
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  now = Date.now(),
): number {
  const backoff = PUSH_RETRY_MS * 2 ** (attempt - 1);
  if (retryAfter === null || retryAfter.trim() === "") return backoff;
  const seconds = /^\d+$/.test(retryAfter.trim())
    ? Number(retryAfter)
    : (Date.parse(retryAfter) - now) / 1000;
  if (!Number.isFinite(seconds)) return backoff;
  const capped = Math.min(Math.max(seconds, 0), MAX_PUSH_RETRY_AFTER_S);
  return Math.round(capped * 1000);
}
