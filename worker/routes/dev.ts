import { ApiError } from "../../protocol/index.ts";
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

export function registerDevRoutes(router: ApiRouter): void {
  router.get("/api/dev/sms", listSms);
}
