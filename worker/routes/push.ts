import {
  ApiError,
  MarkReadBody,
  PushSubscriptionBody,
} from "../../protocol/index.ts";
import { fromBase64url } from "../crypto.ts";
import { DEV_PUSH_HOST, isDevPushEndpoint } from "../dev-push.ts";
import { isDevelopment, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { requireVapidKeys } from "../vapid.ts";
import { chatParam } from "./chats.ts";
import { originAllowed } from "./socket.ts";

/** GET /api/push/key: the VAPID public key, or 503 without keys. */
async function getKey(request: Request, env: Env): Promise<Response> {
  await requireSession(request, env);
  const { publicKey } = requireVapidKeys(env);
  return jsonResponse({ publicKey });
}

async function getSubscription(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse(await userHub(env, me.id).pushStatus(deviceId));
}

/**
 * PUT /api/push/subscription: stores this device's subscription. The
 * development push host is accepted only in development, where the
 * server hands such pushes to worker/dev-push.ts instead of the network.
 */
async function putSubscription(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const body = await readBody(request, PushSubscriptionBody);
  if (!isDevelopment(env) && isDevPushEndpoint(body.endpoint)) {
    throw new ApiError(
      "invalid_request",
      `endpoint: ${DEV_PUSH_HOST} is the development push service and is not accepted on this server; subscribe with the browser's push service.`,
      "endpoint",
    );
  }
  // The schema checks only the length; a key off the curve would be
  // stored, and every push to it would fail to encrypt.
  if (!(await isP256PublicKey(body.keys.p256dh))) {
    throw new ApiError(
      "invalid_request",
      "keys.p256dh: must be an uncompressed P-256 public key; send the keys of the browser's PushSubscription.",
      "keys.p256dh",
    );
  }
  return jsonResponse(await userHub(env, me.id).subscribePush(deviceId, body));
}

/** Returns whether `text` is base64url of a point on the P-256 curve. */
async function isP256PublicKey(text: string): Promise<boolean> {
  try {
    await crypto.subtle.importKey(
      "raw",
      fromBase64url(text),
      { name: "ECDH", namedCurve: "P-256" },
      false,
      [],
    );
    return true;
  } catch {
    return false;
  }
}

async function deleteSubscription(
  request: Request,
  env: Env,
): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse(await userHub(env, me.id).unsubscribePush(deviceId));
}

/**
 * POST /api/chats/:chatId/read: moves the read position as a `read`
 * receipt frame does, for a service worker without a socket. A chat the
 * person is not a member of gets the same "forbidden" as a missing one.
 */
async function markRead(request: ApiRequest, env: Env): Promise<Response> {
  // A second guard beside the SameSite=Strict cookie, as on message sends.
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "Requests from this site are not allowed; send from the app's own origin.",
    );
  }
  const { me, deviceId } = await requireSession(request, env);
  const chatId = chatParam(request);
  const { seq } = await readBody(request, MarkReadBody);
  unwrap(await userHub(env, me.id).markRead(deviceId, chatId, seq));
  return new Response(null, { status: 204 });
}

export function registerPushRoutes(router: ApiRouter): void {
  router.get("/api/push/key", getKey);
  router.get("/api/push/subscription", getSubscription);
  router.put("/api/push/subscription", putSubscription);
  router.delete("/api/push/subscription", deleteSubscription);
  router.post("/api/chats/:chatId/read", markRead);
}
