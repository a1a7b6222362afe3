import {
  CommitBody,
  type CommitReply,
  MAX_HANDSHAKE_CHARS,
  RequestAddBody,
} from "../../protocol/index.ts";
import { chatRoom, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";

/**
 * Largest commit request read, in bytes: the commit, Welcome and ratchet
 * tree at MAX_HANDSHAKE_CHARS each, plus room for the device lists.
 */
export const MAX_COMMIT_REQUEST_BYTES = 3 * MAX_HANDSHAKE_CHARS + 64 * 1024;

async function groupStatus(request: ApiRequest, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const status = unwrap(await room.mlsStatus({ userId: me.id, deviceId }));
  return jsonResponse(status);
}

async function commit(request: ApiRequest, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const body = await readBody(request, CommitBody, MAX_COMMIT_REQUEST_BYTES);
  const result = unwrap(
    await room.mlsCommit({ userId: me.id, deviceId }, body),
  );
  // The room does not call the committer's hub back, so the hub learns of
  // the commit here and passes it to the committer's other devices.
  await userHub(env, me.id).recordSent(result.stored);
  const reply: CommitReply = { epoch: result.epoch, seq: result.seq };
  return jsonResponse(reply);
}

async function requestAdd(request: ApiRequest, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const { reset } = await readBody(request, RequestAddBody);
  unwrap(await room.mlsRequestAdd({ userId: me.id, deviceId }, reset));
  return new Response(null, { status: 204 });
}

export function registerMlsRoutes(router: ApiRouter): void {
  router.get("/api/chats/:chatId/mls", groupStatus);
  router.post("/api/chats/:chatId/mls/commit", commit);
  router.post("/api/chats/:chatId/mls/request-add", requestAdd);
}
