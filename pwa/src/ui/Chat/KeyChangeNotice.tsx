import { useMemo } from "preact/hooks";
import {
  useChat,
  useKeyChangeNotices,
  type KeyChangeNoticeRow,
  type MessageRow,
} from "../../data/index.ts";
import { usePersonName } from "../common/names.tsx";
import { navigate, verifyPath } from "../router.ts";

/** Key change notices to show before or after one message row. */
export interface NoticesAt {
  before: KeyChangeNoticeRow[];
  after: KeyChangeNoticeRow[];
}

/**
 * Places each key change notice of a chat before the first loaded message
 * newer than it, or after the newest message. Keyed by message id. A
 * notice older than every loaded message shows above the oldest one until
 * older pages load.
 */
export function useNoticesByMessage(
  chatId: string,
  messages: MessageRow[],
): { byMessage: Map<string, NoticesAt>; unplaced: KeyChangeNoticeRow[] } {
  const notices = useKeyChangeNotices(chatId);
  return useMemo(
    () => placeNotices(notices ?? [], messages),
    [notices, messages],
  );
}

function placeNotices(
  notices: KeyChangeNoticeRow[],
  messages: MessageRow[],
): { byMessage: Map<string, NoticesAt>; unplaced: KeyChangeNoticeRow[] } {
  const byMessage = new Map<string, NoticesAt>();
  const last = messages.at(-1);
  if (last === undefined) return { byMessage, unplaced: notices };
  for (const notice of notices) {
    const next = messages.find((message) => message.ts > notice.ts);
    const target = next ?? last;
    const entry = byMessage.get(target.id) ?? { before: [], after: [] };
    (next === undefined ? entry.after : entry.before).push(notice);
    byMessage.set(target.id, entry);
  }
  return { byMessage, unplaced: [] };
}

/**
 * Shows a centered line in the chat, like a system message, saying that a
 * person's security code changed. In a one-to-one chat, clicking it opens
 * the code to verify. Codes are compared in one-to-one chats only, so in a
 * group the line is plain text.
 */
export function KeyChangeNotice({ notice }: { notice: KeyChangeNoticeRow }) {
  const name = usePersonName(notice.userId);
  const direct = useChat(notice.chatId)?.kind === "direct";
  const changed =
    notice.kind === "verified_keys_changed"
      ? `${name}'s security code changed, so they are no longer verified.`
      : `${name}'s security code changed.`;
  if (!direct) {
    return (
      <div class="system-message">
        <span>{changed}</span>
      </div>
    );
  }
  return (
    <div class="system-message key-change-notice">
      <button
        type="button"
        class="key-change-notice__button"
        onClick={() => navigate(verifyPath(notice.chatId))}
      >
        {changed} Tap to verify.
      </button>
    </div>
  );
}
