import {
  ApiError,
  type ChatDetail,
  type StoredMessage,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import { chatDetail, type Fanout } from "./fanout.ts";
import * as groups from "./groups.ts";
import type { MemberRow, RoomStore } from "./store.ts";

export const NOT_MEMBER = "You are not a member of this chat.";

/** Returns the member row of `userId`, or throws "forbidden". */
export function requireMember(store: RoomStore, userId: string): MemberRow {
  const member = store.member(userId);
  if (member === undefined) throw new ApiError("forbidden", NOT_MEMBER);
  return member;
}

/**
 * Creates the direct chat of `userId` and `peerId` when it does not exist
 * yet. Throws "forbidden" when it exists and `userId` is not a member.
 */
export function createDirect(
  store: RoomStore,
  chatId: string,
  userId: string,
  peerId: string,
): void {
  const chat = store.chat();
  if (chat === undefined) {
    const now = Date.now();
    store.createChat({
      chat_id: chatId,
      kind: "direct",
      name: null,
      created_at: now,
      created_by: userId,
    });
    store.addMember(userId, "member", now, 1);
    store.addMember(peerId, "member", now, 1);
    log("chat.created", { chatId, userId, kind: "direct" });
  } else if (store.member(userId) === undefined) {
    throw new ApiError("forbidden", NOT_MEMBER);
  }
}

/**
 * Creates a group with its creator as the only admin, adds `memberIds`, and
 * sends the new chat to every member but the creator. Returns the system
 * messages written, for the creator's own hub.
 */
export function createGroup(
  store: RoomStore,
  fanout: Fanout,
  chatId: string,
  creatorId: string,
  name: string,
  memberIds: string[],
): StoredMessage[] {
  if (store.chat() !== undefined) {
    throw new ApiError("conflict", `Chat ${chatId} already exists.`);
  }
  const now = Date.now();
  store.createChat({
    chat_id: chatId,
    kind: "group",
    name,
    created_at: now,
    created_by: creatorId,
  });
  store.addMember(creatorId, "admin", now, 1);
  const created = groups.writeSystem(
    store,
    creatorId,
    { event: "created", actorId: creatorId, name },
    now,
  );
  const added = groups.addMembers(store, creatorId, memberIds, now);
  const messages = [created, ...added.messages];
  log("chat.created", { chatId, userId: creatorId, kind: "group" });
  const others = store.members().filter((m) => m.user_id !== creatorId);
  fanout.chatChanged(
    others.map((m) => m.user_id),
    messages,
  );
  return messages;
}

/** Runs a group change and sends it to members and departed people. */
export function applyChange(
  store: RoomStore,
  fanout: Fanout,
  actorId: string,
  viewerSharesRead: boolean,
  apply: (now: number) => groups.MembershipChange,
): ChatDetail {
  if (store.chat() === undefined) {
    throw new ApiError("forbidden", NOT_MEMBER);
  }
  requireMember(store, actorId);
  const change = apply(Date.now());
  if (change.messages.length > 0) {
    const members = store.members().map((m) => m.user_id);
    const recipients = [...members, ...change.departed];
    fanout.chatChanged(recipients, change.messages);
  }
  return chatDetail(store, actorId, viewerSharesRead);
}
