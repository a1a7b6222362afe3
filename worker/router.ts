import { Router, type IRequest, type RouterType } from "itty-router";
import { ApiError } from "../protocol/index.ts";
import type { Env } from "./env.ts";
import { errorResponse, notFound } from "./http.ts";
import { errorMessage, log } from "./log.ts";
import { registerAccountRoutes } from "./routes/account.ts";
import { registerAuthRoutes } from "./routes/auth.ts";
import { registerCallRoutes } from "./routes/calls.ts";
import { registerChatRoutes } from "./routes/chats.ts";
import { registerDevRoutes } from "./routes/dev.ts";
import { registerHistoryRoutes } from "./routes/history.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerMediaRoutes } from "./routes/media.ts";
import { registerMediaDownloadRoutes } from "./routes/media-download.ts";
import { registerMessageRoutes } from "./routes/messages.ts";
import { registerMlsRoutes } from "./routes/mls.ts";
import { registerPeopleRoutes } from "./routes/people.ts";
import { registerPhotoRoutes } from "./routes/photos.ts";
import { registerPushRoutes } from "./routes/push.ts";
import { registerReportRoutes } from "./routes/reports.ts";
import { registerRealtimeKitRoutes } from "./routes/realtimekit.ts";
import { registerSfuRoutes } from "./routes/sfu.ts";
import { registerSocketRoute } from "./routes/socket.ts";

export type ApiRequest = IRequest;
export type ApiRouter = RouterType<
  ApiRequest,
  [Env, ExecutionContext],
  Response
>;

/** Turns a raised error into a typed JSON reply; never a stack trace. */
function toErrorResponse(error: unknown, request: ApiRequest): Response {
  const method = request.method;
  // No route carries a phone number in its path, so the path is safe to
  // log; numbers travel in request bodies.
  const path = new URL(request.url).pathname;
  if (error instanceof ApiError) {
    log("http.rejected", { method, path, code: error.code });
    return errorResponse(error);
  }
  log("http.failed", { method, path, error: errorMessage(error) });
  return errorResponse(
    new ApiError("internal", "The server failed. Try again later."),
  );
}

export function createRouter(): ApiRouter {
  const router: ApiRouter = Router({ catch: toErrorResponse });
  registerAuthRoutes(router);
  registerAccountRoutes(router);
  registerChatRoutes(router);
  registerReportRoutes(router);
  registerMessageRoutes(router);
  registerKeyRoutes(router);
  registerHistoryRoutes(router);
  registerMlsRoutes(router);
  registerMediaRoutes(router);
  registerMediaDownloadRoutes(router);
  registerPeopleRoutes(router);
  registerPhotoRoutes(router);
  registerPushRoutes(router);
  registerCallRoutes(router);
  registerSfuRoutes(router);
  registerRealtimeKitRoutes(router);
  registerDevRoutes(router);
  registerSocketRoute(router);
  router.all("*", () => notFound());
  return router;
}
