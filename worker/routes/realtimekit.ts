import {
  callId as callIdSchema,
  chatId as chatIdSchema,
} from "../../protocol/index.ts";
import { chatRoom, type Env } from "../env.ts";
import { jsonResponse, pathParam } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";

/**
 * POST /api/chats/:chatId/calls/:callId/realtimekit/token: the calling
 * device's RealtimeKit auth token for the call (protocol/realtimekit.ts).
 * The chat's room checks that the device is in the running call.
 */
async function token(request: ApiRequest, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const chatId = pathParam(chatIdSchema, request.params.chatId, "chatId");
  const callId = pathParam(callIdSchema, request.params.callId, "callId");
  const room = chatRoom(env, chatId);
  const reply = unwrap(
    await room.groupCallRealtimeKitToken({ userId: me.id, deviceId }, callId),
  );
  return jsonResponse(reply, 200, { "Cache-Control": "no-store" });
}

/** Registers the RealtimeKit token route of group calls. */
export function registerRealtimeKitRoutes(router: ApiRouter): void {
  router.post("/api/chats/:chatId/calls/:callId/realtimekit/token", token);
}
