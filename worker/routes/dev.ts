import { ApiError } from "../../protocol/index.ts";
import { readCounts, resetCounts } from "../dev-counters.ts";
import { isDevelopment, phoneDirectory, type Env } from "../env.ts";
import { jsonResponse, notFound } from "../http.ts";
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

export function registerDevRoutes(router: ApiRouter): void {
  router.get("/api/dev/sms", listSms);
  router.get("/api/dev/counters", getCounters);
  router.delete("/api/dev/counters", deleteCounters);
}
