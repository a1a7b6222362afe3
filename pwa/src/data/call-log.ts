import type { CallEvent } from "../../../protocol/index.ts";
import { db } from "./db.ts";
import { useLiveQuery } from "./hooks.ts";

/** One call entry of the calls tab. */
export interface CallLogEntry {
  messageId: string;
  chatId: string;
  /** The other person of the chat; null when the chat is not stored. */
  peerId: string | null;
  event: CallEvent;
  /** Server time of the entry, when the call ended. */
  ts: number;
}

/** Entries read at most, newest first. */
const MAX_ENTRIES = 500;

/** Reads the call entries of every chat from IndexedDB, newest first. */
export async function readCallLog(): Promise<CallLogEntry[]> {
  const rows = await db.messages.where("system.event").equals("call").toArray();
  const visible = rows
    .filter((row) => !row.hidden && row.system?.event === "call")
    .sort((a, b) => b.ts - a.ts)
    .slice(0, MAX_ENTRIES);
  const chats = await db.chats.bulkGet([
    ...new Set(visible.map((row) => row.chatId)),
  ]);
  const peers = new Map(
    chats.flatMap((chat) =>
      chat === undefined ? [] : [[chat.id, chat.peerId]],
    ),
  );
  return visible.flatMap((row) =>
    row.system?.event === "call"
      ? [
          {
            messageId: row.id,
            chatId: row.chatId,
            peerId: peers.get(row.chatId) ?? null,
            event: row.system,
            ts: row.ts,
          },
        ]
      : [],
  );
}

/** Returns the calls tab's entries, kept current as calls end. */
export function useCallLog(): CallLogEntry[] | undefined {
  return useLiveQuery(readCallLog, []);
}
