import { Dexie } from "dexie";
import type {
  ChatSummary,
  Contact,
  PublicProfile,
  SystemEvent,
} from "../../../protocol/index.ts";
import type { MediaItem } from "../media/types.ts";
import {
  callEntryText,
  groupCallEntryText,
  isMissedCall,
} from "./call-text.ts";
import { db } from "./db.ts";
import {
  contactsByUserId,
  nameText,
  resolveName,
  type ResolvedName,
} from "./names.ts";
import type { ChatPreview, ChatRow } from "./types.ts";

/** Chat list rows as the UI shows them: title and decoded preview. */

type NameOf = (userId: string) => string;

/**
 * Text of a system message for the chat list, e.g. "Ana added Ben" or
 * "Missed voice call". `me` is the viewer's user id.
 */
export function describeSystem(
  event: SystemEvent,
  nameOf: NameOf,
  me: string,
): string {
  if (event.event === "call") {
    return callEntryText(event, event.callerId === me);
  }
  if (event.event === "group_call") return groupCallEntryText(event);
  const actor = nameOf(event.actorId);
  switch (event.event) {
    case "created":
      return `${actor} created group "${event.name}"`;
    case "added":
      return `${actor} added ${event.targetIds.map(nameOf).join(", ")}`;
    case "removed":
      return `${actor} removed ${nameOf(event.targetId)}`;
    case "left":
    case "deleted":
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

/** Chat list text of a file without caption, by kind. */
const MEDIA_TEXT: Record<Exclude<MediaItem["kind"], "file">, string> = {
  image: "Photo",
  video: "Video",
  voice: "Voice message",
  audio: "Audio",
};

/** Text of a message whose file description is invalid (`mediaError`). */
export const MEDIA_ERROR_TEXT = "This file can't be shown";

/** Text of a file without caption for the chat list, e.g. "Photo". */
export function describeMedia(item: MediaItem): string {
  if (item.kind !== "file") return MEDIA_TEXT[item.kind];
  return item.name === "" ? "File" : item.name;
}

/**
 * Returns the notification text of a message: its text, the kind of its
 * file ("Photo"), or both as "Photo: caption".
 */
export function notificationTextOf(
  text: string,
  media: MediaItem | null,
): string {
  const file = media === null ? "" : describeMedia(media);
  if (file === "") return text;
  if (text === "") return file;
  return `${file}: ${text}`;
}

/** Sources of the names in rows: the viewer, contacts, cached profiles. */
export interface NameSources {
  me: string;
  /** Saved contacts with an account, by user id. */
  contacts: ReadonlyMap<string, Contact>;
  profiles: ReadonlyMap<string, PublicProfile>;
  /** Formats an E.164 number for display; unformatted when absent. */
  formatPhone?: (e164: string) => string;
}

/**
 * Returns a person's name as plain text: "You", the saved contact name,
 * else the E.164 number and the profile name. Null while neither a
 * contact nor a profile is stored.
 */
function plainName(sources: NameSources, userId: string): string | null {
  const name = resolvedName(sources, userId);
  return name.kind === "loading" ? null : nameText(name, sources.formatPhone);
}

function resolvedName(sources: NameSources, userId: string): ResolvedName {
  return resolveName(
    userId,
    sources.me,
    sources.contacts.get(userId),
    sources.profiles.get(userId),
  );
}

export function makeNameOf(sources: NameSources): NameOf {
  return (userId) => plainName(sources, userId) ?? "Someone";
}

/**
 * Returns a chat's title as plain text: the group name, or the other
 * person's name. The UI formats the number when it shows an unknown
 * person; this text serves search and labels.
 */
export function chatTitle(chat: ChatSummary, sources: NameSources): string {
  if (chat.kind === "group") return chat.name ?? "Group";
  if (chat.peerId === null) return "Unknown";
  return plainName(sources, chat.peerId) ?? "Unknown";
}

async function previewOf(
  chatId: string,
  nameOf: NameOf,
  me: string,
): Promise<ChatPreview | null> {
  const newest = await db.messages
    .where("[chatId+order]")
    .between([chatId, 0], [chatId, Dexie.maxKey])
    .last();
  // Commits sort below the range read, so this only satisfies the types.
  if (newest === undefined || newest.kind === "commit") return null;
  let text = newest.text;
  if (newest.kind === "system" && newest.system !== null) {
    text = describeSystem(newest.system, nameOf, me);
  } else if (text === "" && newest.media !== null) {
    text = describeMedia(newest.media);
  } else if (text === "" && newest.mediaError === true) {
    text = MEDIA_ERROR_TEXT;
  }
  return {
    text,
    system: newest.kind === "system" ? newest.system : null,
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

/**
 * Counts per chat the calls `me` missed after the chat's read position.
 * The server counts only messages as unread, and a missed call should
 * show in the chat list's badge too.
 */
async function missedCallCounts(
  chats: ChatSummary[],
  me: string,
): Promise<Map<string, number>> {
  const readSeq = new Map(chats.map((chat) => [chat.id, chat.readSeq]));
  const counts = new Map<string, number>();
  const entries = await db.messages
    .where("system.event")
    .equals("call")
    .toArray();
  for (const row of entries) {
    const event = row.system;
    const read = readSeq.get(row.chatId);
    if (event?.event !== "call" || row.seq === null || read === undefined) {
      continue;
    }
    if (row.hidden || row.seq <= read) continue;
    if (!isMissedCall(event, event.callerId === me)) continue;
    counts.set(row.chatId, (counts.get(row.chatId) ?? 0) + 1);
  }
  return counts;
}

/** Builds display rows for chats; reads names and newest messages. */
export async function buildChatRows(
  chats: ChatSummary[],
  me: string,
): Promise<ChatRow[]> {
  const [profiles, saved, missedCalls] = await Promise.all([
    db.profiles.toArray(),
    db.contacts.toArray(),
    missedCallCounts(chats, me),
  ]);
  const sources: NameSources = {
    me,
    contacts: contactsByUserId(saved),
    profiles: new Map(profiles.map((profile) => [profile.id, profile])),
  };
  const nameOf = makeNameOf(sources);
  const rows = await Promise.all(
    chats.map(async (chat) => ({
      ...chat,
      unread: chat.unread + (missedCalls.get(chat.id) ?? 0),
      title: chatTitle(chat, sources),
      peerName:
        chat.peerId === null ? null : resolvedName(sources, chat.peerId),
      preview: await previewOf(chat.id, nameOf, me),
    })),
  );
  return rows.sort(compareChats);
}
