import {
  ChatDetailReply,
  ChatReply,
  ProfileReply,
  type ChatSummary,
  type MemberRole,
  type PublicProfile,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { db } from "./db.ts";
import { storeDetail } from "./people.ts";
import { session } from "./state.ts";

/** People and chats over HTTP; replies are written to Dexie at once. */

export async function lookupPhone(
  phone: string,
  region?: string,
): Promise<PublicProfile> {
  const reply = await apiRequest("POST", "/users/lookup", ProfileReply, {
    phone,
    region,
  });
  await db.profiles.put(reply.user);
  return reply.user;
}

async function storeChatReply(reply: { chat: ChatSummary }) {
  await db.chats.put(reply.chat);
  return reply.chat.id;
}

/** Opens (or finds) the one-to-one chat with `userId`; returns its id. */
export async function openDirect(userId: string): Promise<string> {
  const reply = await apiRequest("POST", "/chats/direct", ChatReply, {
    userId,
  });
  return storeChatReply(reply);
}

export async function createGroup(
  name: string,
  memberIds: string[],
): Promise<string> {
  const reply = await apiRequest("POST", "/chats/group", ChatReply, {
    name,
    memberIds,
  });
  return storeChatReply(reply);
}

async function changeDetail(
  method: "PATCH" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<void> {
  const reply = await apiRequest(method, path, ChatDetailReply, body);
  await storeDetail(reply.chat);
  const chat = await db.chats.get(reply.chat.id);
  if (chat !== undefined) {
    await db.chats.put({
      ...chat,
      name: reply.chat.name,
      memberCount: reply.chat.members.length,
    });
  }
}

export function renameGroup(chatId: string, name: string): Promise<void> {
  return changeDetail("PATCH", `/chats/${chatId}`, { name });
}

export function addMembers(chatId: string, userIds: string[]) {
  return changeDetail("POST", `/chats/${chatId}/members`, { userIds });
}

export function removeMember(chatId: string, userId: string) {
  return changeDetail("DELETE", `/chats/${chatId}/members/${userId}`);
}

/** Leaves a group; the chat stays in the list, read-only. */
export async function leaveChat(chatId: string): Promise<void> {
  const me = session.value?.me.id;
  if (me === undefined) return;
  await apiRequest("DELETE", `/chats/${chatId}/members/${me}`, ChatDetailReply);
  const chat = await db.chats.get(chatId);
  if (chat !== undefined) await db.chats.put({ ...chat, left: true });
}

export function setRole(chatId: string, userId: string, role: MemberRole) {
  return changeDetail("PATCH", `/chats/${chatId}/members/${userId}`, { role });
}

export async function updateInbox(
  chatId: string,
  patch: { pinned?: boolean; archived?: boolean; mutedUntil?: number },
): Promise<void> {
  const reply = await apiRequest("PATCH", `/inbox/${chatId}`, ChatReply, patch);
  await db.chats.put(reply.chat);
}
