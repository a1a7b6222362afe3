import {
  ChatDetailReply,
  type ChatDetail,
  type ChatSummary,
} from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { ensureProfiles } from "./profiles.ts";
import { session } from "./state.ts";

/**
 * Chat details fetched over HTTP and cached in Dexie, and the chat rows
 * made from them. A fetch already running for a chat is shared.
 */

/** Stores a chat detail and the member positions it carries. */
export async function storeDetail(detail: ChatDetail): Promise<void> {
  await db.transaction("rw", [db.details, db.receipts], async () => {
    await db.details.put(detail);
    for (const member of detail.members) {
      const key: [string, string] = [detail.id, member.userId];
      if ((await db.receipts.get(key)) !== undefined) continue;
      await db.receipts.put({
        chatId: detail.id,
        userId: member.userId,
        deliveredSeq: member.deliveredSeq,
        readSeq: member.readSeq,
      });
    }
  });
}

const detailFetches = new Map<string, Promise<ChatDetail | null>>();

/** Fetches a chat's cached detail again when it is older than `seq`. */
export async function refreshDetailBefore(
  chatId: string,
  seq: number,
): Promise<void> {
  const cached = await db.details.get(chatId);
  if (cached !== undefined && cached.lastSeq < seq) {
    await fetchDetail(chatId);
  }
}

/** Fetches a chat's members and positions. Returns null on failure. */
export function fetchDetail(chatId: string): Promise<ChatDetail | null> {
  const running = detailFetches.get(chatId);
  if (running !== undefined) return running;
  const fetching = apiRequest("GET", `/chats/${chatId}`, ChatDetailReply)
    .then(async ({ chat }) => {
      await storeDetail(chat);
      await ensureProfiles(chat.members.map((member) => member.userId));
      return chat;
    })
    .catch((error: unknown) => {
      log("detail_fetch_failed", { chatId, error: String(error) });
      return null;
    })
    .finally(() => detailFetches.delete(chatId));
  detailFetches.set(chatId, fetching);
  return fetching;
}

/** Chat ids to look up in the next read, and that read's result. */
let chatLookup: { ids: Set<string>; stored: Promise<Set<string>> } | null =
  null;

/**
 * Returns whether a chat row exists. Calls made in the same task share one
 * bulkGet, because a burst of live messages checks its chats all at once.
 */
function chatStored(chatId: string): Promise<boolean> {
  if (chatLookup === null) {
    const ids = new Set<string>();
    const stored = Promise.resolve().then(async () => {
      chatLookup = null;
      const rows = await db.chats.bulkGet([...ids]);
      return new Set(rows.flatMap((row) => row?.id ?? []));
    });
    chatLookup = { ids, stored };
  }
  chatLookup.ids.add(chatId);
  return chatLookup.stored.then((stored) => stored.has(chatId));
}

/**
 * Makes a chat list row for a chat that messages arrived for before any
 * `chat` frame did. The server's next `inbox` or `chat` frame replaces it.
 */
export async function ensureChat(chatId: string): Promise<void> {
  if (await chatStored(chatId)) return;
  const detail = await fetchDetail(chatId);
  const me = session.value?.me.id;
  if (detail === null || me === undefined) return;
  const mine = detail.members.find((member) => member.userId === me);
  const peer = detail.members.find((member) => member.userId !== me);
  const row: ChatSummary = {
    id: detail.id,
    kind: detail.kind,
    name: detail.name,
    peerId: detail.kind === "direct" ? (peer?.userId ?? null) : null,
    role: mine?.role ?? "member",
    memberCount: detail.members.length,
    lastSeq: 0,
    lastActivityAt: detail.createdAt,
    unread: 0,
    readSeq: mine?.readSeq ?? 0,
    pinned: false,
    archived: false,
    mutedUntil: 0,
    left: mine === undefined,
    groupCall: null,
  };
  await db.chats.add(row).catch(() => undefined);
}
