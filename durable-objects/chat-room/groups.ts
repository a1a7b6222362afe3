import {
  ApiError,
  MAX_GROUP_MEMBERS,
  type MemberRole,
  type StoredMessage,
  type SystemEvent,
} from "../../protocol/index.ts";
import { v7 as uuidv7 } from "uuid";
import type { RoomStore } from "./store.ts";

/**
 * Group administration rules. Each function checks the actor's rights,
 * changes the store, writes the system messages that record the change and
 * returns them with the people who lost access. The ChatRoom then sends
 * the change to every member's hub and to the people who left.
 */
export interface MembershipChange {
  messages: StoredMessage[];
  /** People who are no longer members after this change. */
  departed: string[];
}

const NOT_ADMIN = "Only group admins can do this.";

export function writeSystem(
  store: RoomStore,
  actorId: string,
  event: SystemEvent,
  now: number,
): StoredMessage {
  return store.insertMessage({
    id: uuidv7(),
    kind: "system",
    ref: null,
    senderId: actorId,
    senderDeviceId: null,
    body: JSON.stringify(event),
    ts: now,
  });
}

function requireGroup(store: RoomStore): void {
  if (store.chat()?.kind !== "group") {
    throw new ApiError(
      "invalid_request",
      "Only group chats have names, admins and member changes.",
    );
  }
}

function requireAdmin(store: RoomStore, actorId: string): void {
  if (store.member(actorId)?.role !== "admin") {
    throw new ApiError("forbidden", NOT_ADMIN);
  }
}

function requireMember(store: RoomStore, userId: string): void {
  if (store.member(userId) === undefined) {
    throw new ApiError(
      "not_found",
      `${userId} is not a member of this group.`,
      "userId",
    );
  }
}

export function renameGroup(
  store: RoomStore,
  actorId: string,
  name: string,
  now: number,
): MembershipChange {
  requireGroup(store);
  requireAdmin(store, actorId);
  store.rename(name);
  const message = writeSystem(
    store,
    actorId,
    { event: "renamed", actorId, name },
    now,
  );
  return { messages: [message], departed: [] };
}

export function addMembers(
  store: RoomStore,
  actorId: string,
  userIds: readonly string[],
  now: number,
): MembershipChange {
  requireGroup(store);
  requireAdmin(store, actorId);
  const newcomers = [...new Set(userIds)].filter(
    (id) => store.member(id) === undefined,
  );
  if (newcomers.length === 0) return { messages: [], departed: [] };
  if (store.memberCount() + newcomers.length > MAX_GROUP_MEMBERS) {
    throw new ApiError(
      "group_full",
      `A group can have at most ${MAX_GROUP_MEMBERS} members; ` +
        `this one has ${store.memberCount()}.`,
    );
  }
  const event: SystemEvent = { event: "added", actorId, targetIds: newcomers };
  const message = writeSystem(store, actorId, event, now);
  // Newcomers read from the message that announces them.
  for (const id of newcomers) store.addMember(id, "member", now, message.seq);
  return { messages: [message], departed: [] };
}

/**
 * Removes `targetId`, or lets a member leave when actor and target are the
 * same. When the last admin leaves, the longest-standing member becomes
 * admin, so a group always has one while it has members.
 */
export function removeMember(
  store: RoomStore,
  actorId: string,
  targetId: string,
  now: number,
): MembershipChange {
  requireGroup(store);
  const leaving = actorId === targetId;
  if (!leaving) requireAdmin(store, actorId);
  requireMember(store, targetId);
  const event: SystemEvent = leaving
    ? { event: "left", actorId }
    : { event: "removed", actorId, targetId };
  const message = writeSystem(store, actorId, event, now);
  // The departed person still reads the message that records their exit.
  store.removeMember(targetId, message.seq + 1);
  const messages = [message, ...promoteHeir(store, actorId, now)];
  return { messages, departed: [targetId] };
}

/**
 * Makes the longest-standing member admin when no admin is left, so a
 * group always has one while it has members. Returns the system message
 * that records it, if any.
 */
function promoteHeir(
  store: RoomStore,
  actorId: string,
  now: number,
): StoredMessage[] {
  const heir = store.members()[0];
  if (store.adminCount() > 0 || heir === undefined) return [];
  store.setRole(heir.user_id, "admin");
  const promoted: SystemEvent = {
    event: "promoted",
    actorId,
    targetId: heir.user_id,
  };
  return [writeSystem(store, actorId, promoted, now)];
}

/**
 * Takes a person whose account was deleted out of the chat, group or
 * one-to-one: a "deleted" system message records it, their messages stay
 * readable for the others, and a group gets a new admin if needed. The
 * deleted account gets no frame, because it no longer exists.
 */
export function removeDeletedAccount(
  store: RoomStore,
  userId: string,
  now: number,
): MembershipChange {
  if (store.member(userId) === undefined) {
    return { messages: [], departed: [] };
  }
  store.markAccountDeleted(userId, now);
  const event: SystemEvent = { event: "deleted", actorId: userId };
  const message = writeSystem(store, userId, event, now);
  store.removeMember(userId, message.seq + 1);
  const messages = [message];
  if (store.chat()?.kind === "group") {
    messages.push(...promoteHeir(store, userId, now));
  }
  return { messages, departed: [] };
}

export function setRole(
  store: RoomStore,
  actorId: string,
  targetId: string,
  role: MemberRole,
  now: number,
): MembershipChange {
  requireGroup(store);
  requireAdmin(store, actorId);
  requireMember(store, targetId);
  const current = store.member(targetId)?.role;
  if (current === role) return { messages: [], departed: [] };
  if (role === "member" && store.adminCount() === 1) {
    throw new ApiError(
      "conflict",
      "A group needs at least one admin. Make someone else admin first.",
    );
  }
  store.setRole(targetId, role);
  const event: SystemEvent =
    role === "admin"
      ? { event: "promoted", actorId, targetId }
      : { event: "demoted", actorId, targetId };
  return { messages: [writeSystem(store, actorId, event, now)], departed: [] };
}
