import { Dexie } from "dexie";
import type {
  ChatSummary,
  PublicProfile,
  SystemEvent,
} from "../../../protocol/index.ts";
import { db } from "./db.ts";
import type { ChatPreview, ChatRow } from "./types.ts";

/** Chat list rows as the UI shows them: title and decoded preview. */

type NameOf = (userId: string) => string;

/** Text of a system message for the chat list, e.g. "Ana added Ben". */
export function describeSystem(event: SystemEvent, nameOf: NameOf): string {
  const actor = nameOf(event.actorId);
  switch (event.event) {
    case "created":
      return `${actor} created group "${event.name}"`;
    case "added":
      return `${actor} added ${event.targetIds.map(nameOf).join(", ")}`;
    case "removed":
      return `${actor} removed ${nameOf(event.targetId)}`;
    case "left":
      return `${actor} left`;
    case "renamed":
      return `${actor} renamed the group to "${event.name}"`;
    case "promoted":
      return `${actor} made ${nameOf(event.targetId)} an admin`;
    case "demoted":
      return `${actor} dismissed ${nameOf(event.targetId)} as admin`;
    default: {
      const unknown: never = event;
      return String(unknown);
    }
  }
}

function profileName(profile: PublicProfile | undefined): string | null {
  if (profile === undefined) return null;
  return profile.displayName.trim() || profile.phone;
}

export function makeNameOf(
  me: string,
  profiles: ReadonlyMap<string, PublicProfile>,
): NameOf {
  return (userId) =>
    userId === me ? "You" : (profileName(profiles.get(userId)) ?? "Someone");
}

export function chatTitle(
  chat: ChatSummary,
  profiles: ReadonlyMap<string, PublicProfile>,
): string {
  if (chat.kind === "group") return chat.name ?? "Group";
  if (chat.peerId === null) return "Unknown";
  return profileName(profiles.get(chat.peerId)) ?? "Unknown";
}

async function previewOf(
  chatId: string,
  nameOf: NameOf,
): Promise<ChatPreview | null> {
  const newest = await db.messages
    .where("[chatId+order]")
    .between([chatId, 0], [chatId, Dexie.maxKey])
    .last();
  if (newest === undefined) return null;
  const text =
    newest.kind === "system" && newest.system !== null
      ? describeSystem(newest.system, nameOf)
      : newest.text;
  return {
    text,
    senderId: newest.senderId,
    ts: newest.ts,
    kind: newest.kind,
    deleted: newest.deleted,
  };
}

/** Pinned chats first, then the most recent activity first. */
export function compareChats(a: ChatRow, b: ChatRow): number {
  if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
  return b.lastActivityAt - a.lastActivityAt;
}

async function loadProfiles(): Promise<Map<string, PublicProfile>> {
  const all = await db.profiles.toArray();
  return new Map(all.map((profile) => [profile.id, profile]));
}

/** Builds display rows for chats; reads profiles and newest messages. */
export async function buildChatRows(
  chats: ChatSummary[],
  me: string,
): Promise<ChatRow[]> {
  const profiles = await loadProfiles();
  const nameOf = makeNameOf(me, profiles);
  const rows = await Promise.all(
    chats.map(async (chat) => ({
      ...chat,
      title: chatTitle(chat, profiles),
      preview: await previewOf(chat.id, nameOf),
    })),
  );
  return rows.sort(compareChats);
}
