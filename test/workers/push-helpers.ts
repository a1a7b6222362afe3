import { expect } from "vitest";
import { PushPayload } from "../../protocol/index.ts";
import {
  createTestSubscription,
  fromBase64url,
  type TestSubscription,
} from "../push-receiver.ts";
import { api, json, type TestUser } from "./helpers.ts";

/** Subscribes `device` with a fresh endpoint on the development service. */
export async function subscribe(device: TestUser): Promise<TestSubscription> {
  const endpoint = `https://push.invalid/${crypto.randomUUID()}`;
  const subscription = await createTestSubscription(endpoint);
  const response = await api("PUT", "/api/push/subscription", {
    cookie: device.cookie,
    body: subscription.json,
  });
  expect(response.status).toBe(200);
  return subscription;
}

/** A push the development service accepted, decrypted. */
export interface ReceivedPush {
  payload: PushPayload;
  /** The TTL header the server sent, in seconds. */
  ttl: string | undefined;
}

/**
 * Polls the development push service until `count` pushes reached
 * `subscription`, and returns all of them decrypted, oldest first.
 */
export async function waitForPushes(
  subscription: TestSubscription,
  count: number,
): Promise<ReceivedPush[]> {
  const endpoint = encodeURIComponent(subscription.json.endpoint);
  const deadline = Date.now() + 5000;
  for (;;) {
    const response = await api("GET", `/api/dev/push?endpoint=${endpoint}`);
    const { pushes } = await json<{
      pushes: { headers: Record<string, string>; body: string }[];
    }>(response);
    if (pushes.length >= count) {
      return Promise.all(
        pushes.map(async (push) => {
          const text = await subscription.decrypt(fromBase64url(push.body));
          return {
            payload: PushPayload.parse(JSON.parse(text)),
            ttl: push.headers.ttl,
          };
        }),
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`got ${pushes.length} pushes, expected ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
