import {
  PushStatus,
  PushSubscriptionBody,
  VapidKey,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { ApiFailure } from "./types.ts";

/**
 * The Web Push subscription of this device, shared by the page (the
 * Settings switch, the startup check, logout) and the service worker
 * (`pushsubscriptionchange`), which both have `fetch` and a
 * ServiceWorkerRegistration.
 */

/**
 * Returns the server's VAPID public key (base64url), or null when the
 * server has no keys (503 `unavailable`). Other failures raise ApiFailure.
 * The status decides, so an error code this client does not know yet
 * still counts.
 */
export async function fetchServerKey(): Promise<string | null> {
  try {
    const reply = await apiRequest("GET", "/push/key", VapidKey);
    return reply.publicKey;
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 503) {
      return null;
    }
    throw error;
  }
}

/** Decodes base64url into bytes, as `applicationServerKey` takes them. */
export function base64urlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesToBase64url(buffer: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(buffer))
    binary += String.fromCharCode(byte);
  return btoa(binary)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Tells whether `subscription` was made with the server key `publicKey`. */
export function usesServerKey(
  subscription: PushSubscription,
  publicKey: string,
): boolean {
  const key = subscription.options.applicationServerKey;
  return key !== null && bytesToBase64url(key) === publicKey.replace(/=+$/, "");
}

/**
 * Subscribes this browser with the server key, replacing a subscription
 * made with another key, and stores it on the server. Raises the browser's
 * error when it refuses, and ApiFailure when the server does.
 */
export async function subscribeDevice(
  registration: ServiceWorkerRegistration,
  publicKey: string,
): Promise<void> {
  let subscription = await registration.pushManager.getSubscription();
  if (subscription !== null && !usesServerKey(subscription, publicKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: base64urlToBytes(publicKey),
  });
  const body = PushSubscriptionBody.parse(subscription.toJSON());
  await apiRequest("PUT", "/push/subscription", PushStatus, body);
}

/**
 * Unsubscribes this browser and deletes the subscription on the server.
 * The server copy is deleted even when the browser has none any more.
 */
export async function unsubscribeDevice(
  registration: ServiceWorkerRegistration,
): Promise<void> {
  const subscription = await registration.pushManager.getSubscription();
  await subscription?.unsubscribe();
  await apiRequest("DELETE", "/push/subscription", PushStatus);
}
