import {
  ApiError,
  callId as callIdSchema,
  ICE_SERVER_REQUESTS_PER_HOUR,
} from "../../protocol/index.ts";
import { rateLimiter, userHub, type Env } from "../env.ts";
import { jsonResponse } from "../http.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { iceServers } from "../turn.ts";
import { originAllowed } from "./socket.ts";

const HOUR_MS = 60 * 60 * 1000;

/**
 * GET /api/calls/ice-servers: STUN and TURN servers for a call, at most
 * ICE_SERVER_REQUESTS_PER_HOUR per person.
 */
async function getIceServers(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const limiter = rateLimiter(env, `ice-servers:${me.id}`);
  const decision = await limiter.hit(ICE_SERVER_REQUESTS_PER_HOUR, HOUR_MS);
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      `Too many requests for call servers. Try again in ` +
        `${Math.ceil(decision.retryAfter / 60)} minutes.`,
      undefined,
      decision.retryAfter,
    );
  }
  return jsonResponse(await iceServers(env));
}

/**
 * POST /api/calls/:callId/decline: declines a call that rings this
 * person, for a notification's Decline button. 404 when it does not ring.
 */
async function declineCall(request: ApiRequest, env: Env): Promise<Response> {
  // A second guard beside the SameSite=Strict cookie, as on mark-read.
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "Requests from this site are not allowed; send from the app's own origin.",
    );
  }
  const { me, deviceId } = await requireSession(request, env);
  const parsed = callIdSchema.safeParse(request.params.callId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `callId: ${parsed.error.issues[0]?.message}`,
      "callId",
    );
  }
  const declined = await userHub(env, me.id).declineCall(deviceId, parsed.data);
  if (!declined) {
    throw new ApiError("not_found", "This call is not ringing for you.");
  }
  return new Response(null, { status: 204 });
}

export function registerCallRoutes(router: ApiRouter): void {
  router.get("/api/calls/ice-servers", getIceServers);
  router.post("/api/calls/:callId/decline", declineCall);
}
