import {
  ApiError,
  DiscoverBody,
  ImportContactsBody,
  RemoveContactBody,
  SaveContactBody,
  userId as userIdSchema,
} from "../../protocol/index.ts";
import { chatRoom, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { formatPhone } from "../phone.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { directChatId, requireAccounts } from "./chats.ts";

/** Validates and returns the `:userId` path parameter. */
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

/** Reads `:userId` and checks that an account has it and it is not me. */
async function otherUser(
  request: ApiRequest,
  env: Env,
  meId: string,
): Promise<string> {
  const userId = userParam(request);
  if (userId === meId) {
    throw new ApiError(
      "invalid_request",
      "You can't block yourself.",
      "userId",
    );
  }
  await requireAccounts(env, [userId], "userId");
  return userId;
}

async function listContacts(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const contacts = await userHub(env, me.id).listContacts();
  return jsonResponse({ contacts });
}

async function saveContact(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { phone, name, userId } = await readBody(request, SaveContactBody);
  const hub = userHub(env, me.id);
  const saved = unwrap(await hub.putContact(phone, name, userId));
  return jsonResponse(saved);
}

async function removeContact(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { phone } = await readBody(request, RemoveContactBody);
  const existed = await userHub(env, me.id).deleteContact(phone);
  if (!existed) {
    throw new ApiError(
      "not_found",
      `${formatPhone(phone)} is not in your contacts.`,
      "phone",
    );
  }
  return new Response(null, { status: 204 });
}

async function importContacts(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { contacts } = await readBody(request, ImportContactsBody);
  const result = unwrap(await userHub(env, me.id).importContacts(contacts));
  return jsonResponse(result);
}

async function discover(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { phones } = await readBody(request, DiscoverBody);
  const result = unwrap(await userHub(env, me.id).discoverContacts(phones));
  return jsonResponse(result);
}

async function listBlocked(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const blocked = await userHub(env, me.id).listBlocked();
  return jsonResponse({ blocked });
}

/**
 * Blocks a person. The hub hides presence and typing from them; the direct
 * chat of the two (existing or not yet) rejects their sends.
 */
async function putBlock(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const userId = await otherUser(request, env, me.id);
  unwrap(await userHub(env, me.id).block(userId));
  const room = chatRoom(env, await directChatId(me.id, userId));
  await room.setBlocked(me.id, userId, true);
  return new Response(null, { status: 204 });
}

async function deleteBlock(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const userId = userParam(request);
  const existed = await userHub(env, me.id).unblock(userId);
  if (!existed) {
    throw new ApiError("not_found", `${userId} is not blocked.`, "userId");
  }
  const room = chatRoom(env, await directChatId(me.id, userId));
  await room.setBlocked(me.id, userId, false);
  return new Response(null, { status: 204 });
}

export function registerPeopleRoutes(router: ApiRouter): void {
  router.get("/api/contacts", listContacts);
  router.post("/api/contacts/import", importContacts);
  router.post("/api/contacts/discover", discover);
  router.post("/api/contacts", saveContact);
  router.post("/api/contacts/remove", removeContact);
  router.get("/api/blocks", listBlocked);
  router.put("/api/blocks/:userId", putBlock);
  router.delete("/api/blocks/:userId", deleteBlock);
}
