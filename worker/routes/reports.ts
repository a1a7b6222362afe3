import { ApiError } from "../../protocol/index.ts";
import { ReportChatBody, REPORTS_PER_DAY } from "../../protocol/reports.ts";
import { chatRoom, rateLimiter, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { log } from "../log.ts";
import { countEvent } from "../metrics.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * POST /api/chats/:chatId/report: stores a member's report of a chat in
 * the MEDIA bucket under `reports/<day>/<reportId>.json` for the
 * operators. The log line carries ids and counts only, never the text.
 */
async function reportChat(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const chatId = chatParam(request);
  const body = await readBody(request, ReportChatBody);

  // Non-members get the room's usual refusal, the same as for no chat.
  const chat = unwrap(
    await chatRoom(env, chatId).detail(me.id, me.settings.readReceipts),
  );

  const limiter = rateLimiter(env, `reports:${me.id}`);
  const decision = await limiter.hit(REPORTS_PER_DAY, DAY_MS);
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      `You sent ${REPORTS_PER_DAY} reports today, the daily limit. ` +
        `Try again in ${Math.ceil(decision.retryAfter / 3600)} hours.`,
      undefined,
      decision.retryAfter,
    );
  }

  const reportId = crypto.randomUUID();
  const reportedAt = Date.now();
  const day = new Date(reportedAt).toISOString().slice(0, 10);
  const report = {
    reportId,
    reportedAt,
    reporterId: me.id,
    chatId,
    chatKind: chat.kind,
    reason: body.reason,
    messages: body.messages,
  };
  await env.MEDIA.put(
    `reports/${day}/${reportId}.json`,
    JSON.stringify(report),
    {
      httpMetadata: { contentType: "application/json" },
    },
  );

  log("chat.reported", {
    chatId,
    reporterId: me.id,
    reportId,
    reason: body.reason,
    messages: body.messages.length,
  });
  countEvent(env, "chat.reported", { detail: body.reason });
  return jsonResponse({ reportId });
}

export function registerReportRoutes(router: ApiRouter): void {
  router.post("/api/chats/:chatId/report", reportChat);
}
