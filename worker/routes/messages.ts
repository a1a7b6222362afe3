import { ApiError, SendMessageBody } from "../../protocol/index.ts";
import { chatRoom, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";
import { originAllowed } from "./socket.ts";

/**
 * Stores one message, as a socket `send` frame does, for a sender without a
 * socket: the service worker sends the outbox with it when no page is open.
 * The send is charged to the device's send budget, shared with its socket.
 */
async function sendMessage(request: ApiRequest, env: Env): Promise<Response> {
  // SameSite=Strict already keeps the session cookie off cross-site
  // requests. The Origin check is a second guard, as on the WebSocket.
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "Requests from this site are not allowed; send from the app's own origin.",
    );
  }
  const { me, deviceId } = await requireSession(request, env);
  const chatId = chatParam(request);
  const message = await readBody(request, SendMessageBody);
  const hub = userHub(env, me.id);
  const retryAfter = await hub.takeSendToken(deviceId);
  if (retryAfter > 0) {
    throw new ApiError(
      "rate_limited",
      "Too many messages at once; slow down.",
      undefined,
      retryAfter,
    );
  }
  const result = unwrap(
    await chatRoom(env, chatId).send(me.id, deviceId, message),
  );
  // The room does not call the sender's hub back, so the hub learns of the
  // message here and passes it to the sender's other devices and chat list.
  if (result.stored !== null) await hub.recordSent(result.stored);
  return jsonResponse({ seq: result.seq, ts: result.ts });
}

export function registerMessageRoutes(router: ApiRouter): void {
  router.post("/api/chats/:chatId/messages", sendMessage);
}
