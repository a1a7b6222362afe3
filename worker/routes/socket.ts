import { ApiError } from "../../protocol/index.ts";
import { userHub, type Env } from "../env.ts";
import type { ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";

/**
 * Checks that a WebSocket upgrade comes from this Worker's own origin or one
 * listed in ALLOWED_ORIGINS. Browsers always send Origin on an upgrade, so a
 * request without one did not come from a web page. It cannot be a
 * cross-site hijack and is allowed.
 */
export function originAllowed(request: Request, env: Env): boolean {
  const origin = request.headers.get("Origin");
  if (origin === null) return true;
  if (origin === new URL(request.url).origin) return true;
  const allowed = env.ALLOWED_ORIGINS.split(",").map((entry) => entry.trim());
  return allowed.includes(origin);
}

async function upgrade(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(
      "invalid_request",
      "GET /api/ws expects a WebSocket upgrade.",
    );
  }
  const { me, deviceId } = await requireSession(request, env);
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "WebSocket connections from this site are not allowed.",
    );
  }
  // The hub trusts these headers, so any copies from the client go first.
  const headers = new Headers(request.headers);
  headers.delete("X-User-Id");
  headers.delete("X-Device-Id");
  headers.set("X-User-Id", me.id);
  headers.set("X-Device-Id", deviceId);
  return userHub(env, me.id).fetch(new Request(request.url, { headers }));
}

export function registerSocketRoute(router: ApiRouter): void {
  router.get("/api/ws", upgrade);
}
