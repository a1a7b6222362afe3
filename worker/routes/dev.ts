import { z } from "zod";
import { ApiError } from "../../protocol/index.ts";
import { readCounts, resetCounts } from "../dev-counters.ts";
import {
  DEV_PUSH_HOST,
  isDevPushEndpoint,
  listDevPushes,
  setDevPushStatus,
} from "../dev-push.ts";
import { isDevelopment, phoneDirectory, type Env } from "../env.ts";
import { jsonResponse, notFound, readBody } from "../http.ts";
import { toE164 } from "../phone.ts";
import type { ApiRouter } from "../router.ts";

/**
 * Lists the texts sent to a number: GET /api/dev/sms?phone=…[&region=DE].
 * Outside development the route returns 404 like any unknown path.
 */
async function listSms(request: Request, env: Env): Promise<Response> {
  if (!isDevelopment(env)) return notFound();
  const url = new URL(request.url);
  const phone = url.searchParams.get("phone");
  if (phone === null || phone === "") {
    throw new ApiError(
      "invalid_request",
      "Add ?phone=<number> to the URL.",
      "phone",
    );
  }
  const e164 = toE164(phone, url.searchParams.get("region") ?? undefined);
  const messages = await phoneDirectory(env, e164).listOutbox();
  return jsonResponse({ messages });
}

/**
 * Returns the invocation and row counts of worker/dev-counters.ts:
 * GET /api/dev/counters. DELETE on the same path sets them back to zero.
 * Outside development both return 404 like any unknown path.
 */
function getCounters(_request: Request, env: Env): Response {
  if (!isDevelopment(env)) return notFound();
  return jsonResponse(readCounts());
}

function deleteCounters(_request: Request, env: Env): Response {
  if (!isDevelopment(env)) return notFound();
  resetCounts();
  return jsonResponse(readCounts());
}

/**
 * Lists the pushes the development push service accepted for a
 * subscription: GET /api/dev/push?endpoint=<url>, newest last. Outside
 * development the route returns 404 like any unknown path.
 */
function listPushes(request: Request, env: Env): Response {
  if (!isDevelopment(env)) return notFound();
  const endpoint = new URL(request.url).searchParams.get("endpoint") ?? "";
  if (!isDevPushEndpoint(endpoint)) {
    throw new ApiError(
      "invalid_request",
      `Add ?endpoint=<url> with a subscription endpoint on https://${DEV_PUSH_HOST}/ to the URL.`,
      "endpoint",
    );
  }
  return jsonResponse({ pushes: listDevPushes(endpoint) });
}

const DevPushStatusBody = z.object({
  endpoint: z
    .string()
    .refine(
      isDevPushEndpoint,
      `must be a URL on https://${DEV_PUSH_HOST}/, the development push service`,
    ),
  status: z.number().int().min(200).max(599),
});

/**
 * Makes the development push service respond to every later push to an
 * endpoint with a status, such as 410 for an expired subscription:
 * POST /api/dev/push/status with {endpoint, status}. Outside development
 * the route returns 404 like any unknown path.
 */
async function setPushStatus(request: Request, env: Env): Promise<Response> {
  if (!isDevelopment(env)) return notFound();
  const { endpoint, status } = await readBody(request, DevPushStatusBody);
  setDevPushStatus(endpoint, status);
  return jsonResponse({ endpoint, status });
}

export function registerDevRoutes(router: ApiRouter): void {
  router.get("/api/dev/sms", listSms);
  router.get("/api/dev/push", listPushes);
  router.post("/api/dev/push/status", setPushStatus);
  router.get("/api/dev/counters", getCounters);
  router.delete("/api/dev/counters", deleteCounters);
}
