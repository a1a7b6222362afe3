import {
  AddMembersBody,
  ApiError,
  chatId as chatIdSchema,
  CreateGroupBody,
  MAX_GROUP_MEMBERS,
  OpenDirectBody,
  RenameGroupBody,
  SetRoleBody,
  UpdateInboxBody,
  userId as userIdSchema,
} from "../../protocol/index.ts";
import { sha256Hex } from "../crypto.ts";
import { chatRoom, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";

/** `dm_` and the first 32 hex digits of SHA-256 of the sorted ids. */
export async function directChatId(a: string, b: string): Promise<string> {
  const digest = await sha256Hex([a, b].sort().join(":"));
  return `dm_${digest.slice(0, 32)}`;
}

/** Validates and returns the `:chatId` path parameter. */
export function chatParam(request: ApiRequest): string {
  const parsed = chatIdSchema.safeParse(request.params.chatId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `chatId: ${parsed.error.issues[0]?.message}`,
      "chatId",
    );
  }
  return parsed.data;
}

function userParam(request: ApiRequest): string {
  const parsed = userIdSchema.safeParse(request.params.userId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `userId: ${parsed.error.issues[0]?.message}`,
      "userId",
    );
  }
  return parsed.data;
}

/**
 * Raises not_found naming the first id without an account, with its own
 * message when that account was deleted.
 */
export async function requireAccounts(
  env: Env,
  userIds: string[],
  field: string,
): Promise<void> {
  const states = await Promise.all(
    userIds.map((id) => userHub(env, id).accountState()),
  );
  const index = states.findIndex((state) => state !== "active");
  if (index < 0) return;
  const missing = userIds[index];
  if (states[index] === "deleted") {
    throw new ApiError(
      "not_found",
      `The account ${missing} was deleted, so it can't be messaged, called or added.`,
      field,
    );
  }
  throw new ApiError("not_found", `No account has the id ${missing}.`, field);
}

async function openDirect(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { userId: peerId } = await readBody(request, OpenDirectBody);
  if (peerId === me.id) {
    throw new ApiError(
      "invalid_request",
      "You cannot open a chat with yourself.",
      "userId",
    );
  }
  await requireAccounts(env, [peerId], "userId");
  const chatId = await directChatId(me.id, peerId);
  const chat = unwrap(
    await chatRoom(env, chatId).openDirect(chatId, me.id, peerId),
  );
  return jsonResponse({ chat });
}

async function createGroup(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const body = await readBody(request, CreateGroupBody);
  const others = [...new Set(body.memberIds)].filter((id) => id !== me.id);
  if (others.length + 1 > MAX_GROUP_MEMBERS) {
    throw new ApiError(
      "group_full",
      `A group can have at most ${MAX_GROUP_MEMBERS} members.`,
    );
  }
  await requireAccounts(env, others, "memberIds");
  const chatId = `g_${crypto.randomUUID()}`;
  const room = chatRoom(env, chatId);
  const chat = unwrap(await room.createGroup(chatId, me.id, body.name, others));
  return jsonResponse({ chat });
}

async function getDetail(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const chat = unwrap(await room.detail(me.id, me.settings.readReceipts));
  return jsonResponse({ chat });
}

async function rename(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const { name } = await readBody(request, RenameGroupBody);
  const chat = unwrap(await room.rename(me.id, name, me.settings.readReceipts));
  return jsonResponse({ chat });
}

async function addMembers(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const { userIds } = await readBody(request, AddMembersBody);
  await requireAccounts(env, [...new Set(userIds)], "userIds");
  const chat = unwrap(
    await room.addMembers(me.id, userIds, me.settings.readReceipts),
  );
  return jsonResponse({ chat });
}

async function removeMember(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const target = userParam(request);
  const chat = unwrap(
    await room.removeMember(me.id, target, me.settings.readReceipts),
  );
  return jsonResponse({ chat });
}

async function setRole(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const room = chatRoom(env, chatParam(request));
  const target = userParam(request);
  const { role } = await readBody(request, SetRoleBody);
  const chat = unwrap(
    await room.setRole(me.id, target, role, me.settings.readReceipts),
  );
  return jsonResponse({ chat });
}

async function updateInbox(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const chatId = chatParam(request);
  const patch = await readBody(request, UpdateInboxBody);
  const chat = unwrap(await userHub(env, me.id).updateInbox(chatId, patch));
  return jsonResponse({ chat });
}

export function registerChatRoutes(router: ApiRouter): void {
  router.post("/api/chats/direct", openDirect);
  router.post("/api/chats/group", createGroup);
  router.get("/api/chats/:chatId", getDetail);
  router.patch("/api/chats/:chatId", rename);
  router.post("/api/chats/:chatId/members", addMembers);
  router.delete("/api/chats/:chatId/members/:userId", removeMember);
  router.patch("/api/chats/:chatId/members/:userId", setRole);
  router.patch("/api/inbox/:chatId", updateInbox);
}
