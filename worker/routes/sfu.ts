import { z } from "zod";
import {
  ApiError,
  callId as callIdSchema,
  chatId as chatIdSchema,
  SFU_SESSION_WINDOW_MS,
  SFU_SESSIONS_PER_WINDOW,
} from "../../protocol/index.ts";
import {
  SfuCloseTracksBody,
  SfuNewSessionBody,
  SfuRenegotiateBody,
  SfuTracksBody,
} from "../../protocol/sfu.ts";
import { chatRoom, rateLimiter, type Env } from "../env.ts";
import { pathParam, readBody } from "../http.ts";
import { log } from "../log.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { forwardToSfu, sfuConfig, type SfuLogIds } from "../sfu.ts";

const PREFIX = "/api/chats/:chatId/calls/:callId/sfu";

const sessionIdSchema = z.string().min(1).max(128);

/** The caller, call and SFU session a proxied request is for. */
interface ProxyTarget {
  ids: SfuLogIds;
  room: ReturnType<typeof chatRoom>;
  sessionId: string | null;
}

/** Authenticates the caller and validates the path's ids. */
async function target(request: ApiRequest, env: Env): Promise<ProxyTarget> {
  const { me, deviceId } = await requireSession(request, env);
  const chatId = pathParam(chatIdSchema, request.params.chatId, "chatId");
  const callId = pathParam(callIdSchema, request.params.callId, "callId");
  const sessionId =
    request.params.sessionId === undefined
      ? null
      : pathParam(sessionIdSchema, request.params.sessionId, "sessionId");
  return {
    ids: { chatId, callId, userId: me.id, deviceId },
    room: chatRoom(env, chatId),
    sessionId,
  };
}

/**
 * Asks the chat's room whether the caller's device is in the call, owns
 * the session, and pulls only from sessions of the same call.
 */
async function checkAccess(
  proxy: ProxyTarget,
  remoteSessionIds: string[] = [],
): Promise<void> {
  const { userId, deviceId, callId } = proxy.ids;
  unwrap(
    await proxy.room.groupCallSfuAccess(
      { userId, deviceId },
      callId,
      proxy.sessionId,
      remoteSessionIds,
    ),
  );
}

/** Counts one new SFU session of the person, or raises rate_limited. */
async function limitSessions(env: Env, userId: string): Promise<void> {
  const decision = await rateLimiter(env, `sfu-sessions:${userId}`).hit(
    SFU_SESSIONS_PER_WINDOW,
    SFU_SESSION_WINDOW_MS,
  );
  if (decision.allowed) return;
  const minutes = SFU_SESSION_WINDOW_MS / 60_000;
  throw new ApiError(
    "rate_limited",
    `You opened ${SFU_SESSIONS_PER_WINDOW} call sessions within ${minutes} ` +
      `minutes, the limit. Try again in ${decision.retryAfter} seconds.`,
    undefined,
    decision.retryAfter,
  );
}

/**
 * POST …/sfu/sessions/new: opens the device's SFU session, at most
 * SFU_SESSIONS_PER_WINDOW per person per SFU_SESSION_WINDOW_MS.
 */
async function newSession(request: ApiRequest, env: Env): Promise<Response> {
  const proxy = await target(request, env);
  const body = await readBody(request, SfuNewSessionBody);
  const config = sfuConfig(env);
  await checkAccess(proxy);
  await limitSessions(env, proxy.ids.userId);
  const { userId, deviceId, callId } = proxy.ids;
  return forwardToSfu(
    config,
    "POST",
    "sessions/new",
    body,
    proxy.ids,
    async (reply) => {
      const sessionId = sessionIdSchema.safeParse(
        (reply as { sessionId?: unknown }).sessionId,
      );
      if (!sessionId.success) {
        log("sfu.reply_invalid", { ...proxy.ids, path: "sessions/new" });
        throw new ApiError(
          "internal",
          "The SFU created no valid session id; try again.",
        );
      }
      unwrap(
        await proxy.room.groupCallRecordSession(
          { userId, deviceId },
          callId,
          sessionId.data,
        ),
      );
      return undefined;
    },
  );
}

/** POST …/sfu/sessions/:sessionId/tracks/new: publishes or pulls tracks. */
async function newTracks(request: ApiRequest, env: Env): Promise<Response> {
  const proxy = await target(request, env);
  const body = await readBody(request, SfuTracksBody);
  const config = sfuConfig(env);
  const remotes = body.tracks.flatMap((track) =>
    track.location === "remote" ? [track.sessionId] : [],
  );
  await checkAccess(proxy, remotes);
  return forwardToSfu(
    config,
    "POST",
    `sessions/${encodeURIComponent(proxy.sessionId ?? "")}/tracks/new`,
    body,
    proxy.ids,
  );
}

/** PUT …/sfu/sessions/:sessionId/renegotiate: sends the device's SDP answer. */
async function renegotiate(request: ApiRequest, env: Env): Promise<Response> {
  const proxy = await target(request, env);
  const body = await readBody(request, SfuRenegotiateBody);
  const config = sfuConfig(env);
  await checkAccess(proxy);
  return forwardToSfu(
    config,
    "PUT",
    `sessions/${encodeURIComponent(proxy.sessionId ?? "")}/renegotiate`,
    body,
    proxy.ids,
  );
}

/** PUT …/sfu/sessions/:sessionId/tracks/close: closes tracks by mid. */
async function closeTracks(request: ApiRequest, env: Env): Promise<Response> {
  const proxy = await target(request, env);
  const body = await readBody(request, SfuCloseTracksBody);
  const config = sfuConfig(env);
  await checkAccess(proxy);
  return forwardToSfu(
    config,
    "PUT",
    `sessions/${encodeURIComponent(proxy.sessionId ?? "")}/tracks/close`,
    body,
    proxy.ids,
  );
}

/**
 * Registers the SFU proxy (protocol/group-calls.ts): each route is the
 * SFU request of the same name, sent with the app id and secret after the
 * room checked the caller.
 */
export function registerSfuRoutes(router: ApiRouter): void {
  router.post(`${PREFIX}/sessions/new`, newSession);
  router.post(`${PREFIX}/sessions/:sessionId/tracks/new`, newTracks);
  router.put(`${PREFIX}/sessions/:sessionId/renegotiate`, renegotiate);
  router.put(`${PREFIX}/sessions/:sessionId/tracks/close`, closeTracks);
}
