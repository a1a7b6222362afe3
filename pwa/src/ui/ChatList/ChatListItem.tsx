import { useEffect, useState } from "preact/hooks";
import type { ChatRow } from "../../data/index.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../common/Icon.tsx";
import { lazyScreen } from "../common/lazy.tsx";
import {
  ChatTitle,
  chatAvatarName,
  chatTitle,
  isMe,
  PersonName,
} from "../common/names.tsx";
import { SystemText } from "../common/SystemText.tsx";
import { ListTyping } from "../common/Presence.tsx";
import { formatListTime } from "../format.ts";
import { chatPath, onLinkClick } from "../router.ts";

// The actions menu loads after the list shows, because the first screen
// has a size budget. Until then a row has no menu button.
const ChatActions = lazyScreen(
  "ChatActions",
  () => import("./ChatActions.tsx").then((module) => module.ChatActions),
  null,
);

/** setTimeout's maximum delay (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Tells whether the chat is muted now, and re-renders when that ends. */
function useMuted(mutedUntil: number): boolean {
  const [, setExpired] = useState(0);
  const remaining = mutedUntil - Date.now();
  useEffect(() => {
    if (remaining <= 0 || remaining > MAX_TIMER_MS) return;
    const timer = setTimeout(() => setExpired(mutedUntil), remaining + 1);
    return () => clearTimeout(timer);
  }, [mutedUntil]);
  return remaining > 0;
}

/**
 * One chat row: a link whose accessible name starts with the chat title,
 * then the time, the preview and the unread badge.
 */
export function ChatListItem({
  chat,
  current,
}: {
  chat: ChatRow;
  current: boolean;
}) {
  const href = chatPath(chat.id);
  const muted = useMuted(chat.mutedUntil);
  const time = chat.preview?.ts ?? chat.lastActivityAt;
  const title = chatTitle(chat);
  return (
    <li
      class={current ? "chat-row chat-row--current" : "chat-row"}
      data-chat-id={chat.id}
    >
      <a
        class="chat-row__link"
        href={href}
        aria-current={current ? "page" : undefined}
        onClick={(event) => onLinkClick(event, href)}
      >
        <Avatar id={chat.peerId ?? chat.id} name={chatAvatarName(chat)} />
        <span class="chat-row__text">
          <span class="chat-row__top">
            <span class="chat-row__title">
              <ChatTitle chat={chat} />
            </span>
            <span
              class={
                chat.unread > 0
                  ? "chat-row__time chat-row__time--unread"
                  : "chat-row__time"
              }
            >
              {time > 0 ? formatListTime(time) : ""}
            </span>
          </span>
          <span class="chat-row__bottom">
            <span class="chat-row__preview" dir="auto">
              <ListTyping chatId={chat.id} group={chat.kind === "group"}>
                <Preview chat={chat} />
              </ListTyping>
            </span>
            {muted && (
              <span role="img" aria-label="Muted">
                <Icon name="muted" class="chat-row__flag" />
              </span>
            )}
            {chat.pinned && <Icon name="pin" class="chat-row__flag" />}
            {chat.unread > 0 && (
              <span class="badge" aria-label={`${chat.unread} unread messages`}>
                {chat.unread}
              </span>
            )}
          </span>
        </span>
      </a>
      <ChatActions chat={chat} title={title} muted={muted} />
    </li>
  );
}

function Preview({ chat }: { chat: ChatRow }) {
  const preview = chat.preview;
  if (chat.left && preview === null) return <>You are no longer a member</>;
  if (preview === null) return <>No messages yet</>;
  if (preview.kind === "system") {
    return preview.system === null ? (
      <>{preview.text}</>
    ) : (
      <SystemText event={preview.system} />
    );
  }
  if (preview.deleted) {
    return <em class="chat-row__deleted">This message was deleted</em>;
  }
  if (isMe(preview.senderId)) return <>You: {preview.text}</>;
  if (chat.kind === "group") {
    return <SenderPreview senderId={preview.senderId} text={preview.text} />;
  }
  return <>{preview.text}</>;
}

function SenderPreview(props: { senderId: string; text: string }) {
  return (
    <>
      <PersonName id={props.senderId} subject />: {props.text}
    </>
  );
}
