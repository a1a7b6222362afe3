import {
  encodeMessageBatch,
  MAX_HISTORY_PAGE,
  type ChatSummary,
  type ClientFrame,
  type StoredMessage,
} from "../../protocol/index.ts";
import { chatRoom } from "../../worker/env.ts";
import { unwrap } from "../../worker/result.ts";
import type { FrameContext } from "./frames.ts";

/**
 * Maximum ChatRooms called at once while handling `sync`. The value is an
 * estimate: high enough that a long chat list does not wait for one round
 * trip per chat in turn, low enough not to flood the hub with replies.
 */
const SYNC_CONCURRENCY = 8;

/**
 * Sends the chat list, then what the device missed per chat, then every
 * member's receipt positions, then `sync.done`.
 */
export async function handleSync(
  context: FrameContext,
  frame: Extract<ClientFrame, { type: "sync" }>,
) {
  const inbox = context.store.inbox();
  context.reply({ type: "inbox", rid: frame.rid, chats: inbox });
  const known = new Map(
    frame.chats.map((chat) => [chat.chatId, chat.afterSeq]),
  );
  const queue = [...inbox];
  const compact = frame.compact === true;
  const syncNext = async () => {
    for (let chat = queue.shift(); chat; chat = queue.shift()) {
      const afterSeq = known.get(chat.id) ?? 0;
      await sendMissed(context, chat, afterSeq, frame.rid, compact);
      // A chat without messages has no receipt positions worth sending.
      if (!chat.left && chat.lastSeq > 0) await sendReceipts(context, chat);
    }
  };
  // Chats sync in parallel, each with its pages in order.
  const workers = Array.from({ length: SYNC_CONCURRENCY }, syncNext);
  await Promise.all(workers);
  context.reply({ type: "sync.done", rid: frame.rid });
  // A device woken by a `call` push syncs first, then answers.
  await context.calls.ringDevice(context.deviceId, (ringFrame) =>
    context.reply(ringFrame),
  );
}

async function sendMissed(
  context: FrameContext,
  chat: ChatSummary,
  afterSeq: number,
  rid: string | undefined,
  compact: boolean,
) {
  const send = (page: { messages: StoredMessage[]; hasMore: boolean }) =>
    sendPage(context, { chatId: chat.id, ...page }, rid, compact);
  if (chat.lastSeq <= afterSeq) return;
  const room = chatRoom(context.env, chat.id);
  if (afterSeq === 0) {
    const cursor = { beforeSeq: Number.MAX_SAFE_INTEGER };
    const page = unwrap(
      await room.history(context.userId, cursor, MAX_HISTORY_PAGE),
    );
    send(page);
    return;
  }
  let cursor = afterSeq;
  for (;;) {
    const page = unwrap(
      await room.history(
        context.userId,
        { afterSeq: cursor },
        MAX_HISTORY_PAGE,
      ),
    );
    send(page);
    const last = page.messages.at(-1);
    if (!page.hasMore || last === undefined) return;
    cursor = last.seq;
  }
}

/** Sends a page as a `batch` frame when asked and possible, else `messages`. */
function sendPage(
  context: FrameContext,
  page: { chatId: string; messages: StoredMessage[]; hasMore: boolean },
  rid: string | undefined,
  compact: boolean,
) {
  const batch = compact ? encodeMessageBatch(page, rid) : null;
  context.reply(batch ?? { type: "messages", rid, ...page });
}

async function sendReceipts(context: FrameContext, chat: ChatSummary) {
  const room = chatRoom(context.env, chat.id);
  const receipts = unwrap(
    await room.receipts(context.userId, context.sharesRead()),
  );
  for (const receipt of receipts) {
    context.reply({ type: "receipt", chatId: chat.id, ...receipt });
  }
}
