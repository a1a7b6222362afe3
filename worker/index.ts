import { countInvocation } from "./dev-counters.ts";
import type { Env } from "./env.ts";
import { createRouter } from "./router.ts";
import { withSecurityHeaders } from "./security-headers.ts";

export { ChatRoom } from "../durable-objects/ChatRoom.ts";
export { PhoneDirectory } from "../durable-objects/PhoneDirectory.ts";
export { RateLimiter } from "../durable-objects/RateLimiter.ts";
export { UserHub } from "../durable-objects/UserHub.ts";

const router = createRouter();

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!path.startsWith("/api/") && env.ASSETS !== undefined) {
      return env.ASSETS.fetch(request);
    }
    countInvocation(env, "Worker", "fetch");
    return withSecurityHeaders(await router.fetch(request, env, ctx));
  },
} satisfies ExportedHandler<Env>;
