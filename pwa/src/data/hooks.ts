import { Dexie, liveQuery } from "dexie";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  userId as userIdSchema,
  type ChatDetail,
  type PublicProfile,
} from "../../../protocol/index.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { useSharedLiveQuery } from "./shared.ts";
import { MessagePager, toMessageRow, type MessagePages } from "./pages.ts";
import { fetchDetail } from "./people.ts";
import { refreshProfileOnce } from "./profiles.ts";
import {
  othersOf,
  receiptDetailOf,
  tickOf,
  visibleReceipts,
} from "./receipts.ts";
import { buildChatRows } from "./rows.ts";
import { session } from "./state.ts";
import type {
  ChatRow,
  MessageRow,
  ReceiptDetail,
  SearchResult,
  Tick,
} from "./types.ts";

/**
 * Preact hooks over Dexie's liveQuery: each re-renders its component
 * whenever the rows it read change, wherever the change came from.
 */

/**
 * Runs `query` as a live query. Returns undefined until the first result;
 * after `deps` change it keeps the previous result until the new one comes.
 */
export function useLiveQuery<T>(
  query: () => Promise<T>,
  deps: readonly unknown[],
): T | undefined {
  const [value, setValue] = useState<T | undefined>(undefined);
  useEffect(() => {
    const subscription = liveQuery(query).subscribe({
      next: (result) => setValue(() => result),
      error: (error: unknown) => {
        log("live_query_failed", { error: String(error) });
      },
    });
    return () => subscription.unsubscribe();
    // The caller lists what `query` reads, as with useEffect.
  }, deps);
  return value;
}

function myId(): string {
  return session.value?.me.id ?? "";
}

export function useChats(): ChatRow[] | undefined {
  const me = myId();
  return useLiveQuery(
    async () => buildChatRows(await db.chats.toArray(), me),
    [me],
  );
}

export function useChat(chatId: string): ChatRow | undefined {
  const me = myId();
  const row = useLiveQuery(async () => {
    const chat = await db.chats.get(chatId);
    return chat === undefined ? null : (await buildChatRows([chat], me))[0];
  }, [chatId, me]);
  return row?.id === chatId ? row : undefined;
}

/**
 * Returns the newest `pages` pages of `pageSize` visible messages of a
 * chat, oldest first. Raising `pages` reads only the pages added.
 */
export function useMessages(
  chatId: string,
  pages: number,
  pageSize: number,
): MessagePages | undefined {
  const [state, setState] = useState<{ chatId: string; pages: MessagePages }>();
  const pager = useRef<MessagePager | null>(null);
  useEffect(() => {
    const created = new MessagePager(chatId, pageSize, (result) =>
      setState({ chatId, pages: result }),
    );
    pager.current = created;
    return () => created.close();
  }, [chatId, pageSize]);
  useEffect(() => {
    pager.current?.grow(pages);
  }, [chatId, pageSize, pages]);
  return state?.chatId === chatId ? state.pages : undefined;
}

/** Chat details fetched once per page load, then kept by frames. */
const detailsFetched = new Set<string>();

export function useChatDetail(chatId: string): ChatDetail | undefined {
  useEffect(() => {
    if (detailsFetched.has(chatId)) return;
    detailsFetched.add(chatId);
    void fetchDetail(chatId);
  }, [chatId]);
  const detail = useLiveQuery(async () => {
    const stored = await db.details.get(chatId);
    if (stored === undefined) return null;
    const receipts = await db.receipts.where("chatId").equals(chatId).toArray();
    const byUser = new Map(receipts.map((row) => [row.userId, row]));
    const members = stored.members.map((member) => ({
      ...member,
      deliveredSeq: byUser.get(member.userId)?.deliveredSeq ?? 0,
      readSeq: byUser.get(member.userId)?.readSeq ?? 0,
    }));
    return { ...stored, members };
  }, [chatId]);
  return detail?.id === chatId ? detail : undefined;
}

function useStoredProfile(userId: string | null) {
  return useSharedLiveQuery(
    userId === null ? "profile:none" : `profile:${userId}`,
    async () =>
      userId === null ? null : ((await db.profiles.get(userId)) ?? null),
    userId === null ? undefined : () => refreshProfileOnce(userId),
  );
}

/**
 * Returns a stored profile, and fetches it once per page load. An empty
 * `userId` fetches nothing and returns undefined.
 */
export function useProfile(userId: string): PublicProfile | undefined {
  const profile = useStoredProfile(userId === "" ? null : userId);
  return profile?.id === userId ? profile : undefined;
}

/**
 * Returns the current photo id of the person `id` names, from their stored
 * profile or, for the signed-in person, the session. Returns null when they
 * have none, when it is hidden from this person, and for chat ids, which
 * have no profile.
 */
export function usePhotoId(id: string): string | null {
  const me = session.value?.me;
  const other = id !== me?.id && userIdSchema.safeParse(id).success;
  const profile = useStoredProfile(other ? id : null);
  if (id === me?.id) return me.photoId ?? null;
  return profile?.id === id ? (profile.photoId ?? null) : null;
}

/**
 * Returns whether the chat contains a visible message from `userId`, or
 * undefined until known or when `userId` is null. Reads newest first, so
 * that a recent message ends the scan early. A chat without such a message
 * is read whole on every change, so callers pass null when the result
 * does not matter.
 */
export function useHasMessageFrom(
  chatId: string,
  userId: string | null,
): boolean | undefined {
  const found = useLiveQuery(async () => {
    if (userId === null) return undefined;
    const row = await db.messages
      .where("[chatId+order]")
      .between([chatId, 0], [chatId, Dexie.maxKey])
      .reverse()
      .filter((message) => message.senderId === userId && !message.hidden)
      .first();
    return { chatId, userId, found: row !== undefined };
  }, [chatId, userId]);
  if (userId === null) return undefined;
  if (found?.chatId !== chatId || found.userId !== userId) return undefined;
  return found.found;
}

/** Maximum number of messages a search returns, newest first. */
const SEARCH_LIMIT = 50;

export function useSearch(query: string): SearchResult | undefined {
  const me = myId();
  const needle = query.trim().toLocaleLowerCase();
  return useLiveQuery(async () => {
    if (needle === "") return { chats: [], messages: [] };
    const rows = await buildChatRows(await db.chats.toArray(), me);
    const chats = rows.filter((row) =>
      row.title.toLocaleLowerCase().includes(needle),
    );
    // NOTE: a full scan of the stored messages on every change. A word
    // index would be needed once a device keeps large histories.
    const matches = await db.messages
      .filter(
        (row) =>
          !row.hidden &&
          row.kind === "message" &&
          row.text.toLocaleLowerCase().includes(needle),
      )
      .toArray();
    const messages = matches
      .sort((a, b) => b.ts - a.ts)
      .slice(0, SEARCH_LIMIT)
      .map(toMessageRow);
    return { chats, messages };
  }, [needle, me]);
}

/** Other members' positions, live, for the tick hooks. */
function useOthers(chatId: string) {
  const me = myId();
  const sharesRead = session.value?.me.settings.readReceipts !== false;
  return useSharedLiveQuery(
    `others:${chatId}:${me}:${sharesRead}`,
    async () => {
      const receipts = await db.receipts
        .where("chatId")
        .equals(chatId)
        .toArray();
      const detail = await db.details.get(chatId);
      const others = othersOf(me, receipts, detail);
      const shown = visibleReceipts(others, chatId, sharesRead);
      return { chatId, others: shown };
    },
  );
}

export function useTick(message: MessageRow): Tick {
  const others = useOthers(message.chatId);
  const list = others?.chatId === message.chatId ? others.others : [];
  return tickOf(message, list);
}

export function useReceiptDetail(
  chatId: string,
  seq: number,
): ReceiptDetail[] | undefined {
  const others = useOthers(chatId);
  if (others?.chatId !== chatId) return undefined;
  return receiptDetailOf(seq, others.others);
}
