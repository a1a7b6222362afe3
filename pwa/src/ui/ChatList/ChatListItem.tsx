import { useEffect, useRef, useState } from "preact/hooks";
import type { ChatRow } from "../../data/index.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../common/Icon.tsx";
import { MenuButton, MenuPopup, type MenuItem } from "../common/Menu.tsx";
import {
  ChatTitle,
  chatAvatarName,
  chatTitle,
  isMe,
  PersonName,
} from "../common/names.tsx";
import { SystemText } from "../common/SystemText.tsx";
import { ListTyping } from "../common/Presence.tsx";
import { run } from "../common/notice.tsx";
import { updateInbox } from "../../data/index.ts";
import { formatListTime } from "../format.ts";
import { chatPath, onLinkClick } from "../router.ts";

const MUTE_FOREVER = Number.MAX_SAFE_INTEGER;
const HOUR_MS = 3_600_000;

/** The choices of "Mute notifications", as durations from now. */
const MUTE_CHOICES: { label: string; durationMs: number }[] = [
  { label: "8 hours", durationMs: 8 * HOUR_MS },
  { label: "1 week", durationMs: 7 * 24 * HOUR_MS },
  { label: "Always", durationMs: Infinity },
];

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

function ChatActions({
  chat,
  title,
  muted,
}: {
  chat: ChatRow;
  title: string;
  muted: boolean;
}) {
  const [choosingMute, setChoosingMute] = useState(false);
  const wrapper = useRef<HTMLSpanElement>(null);
  // The mute choices open where the actions menu was, at its button.
  const anchor = {
    get current() {
      return wrapper.current?.querySelector("button") ?? null;
    },
  };
  const patch = (change: Parameters<typeof updateInbox>[1]) =>
    run(() => updateInbox(chat.id, change));
  const muteItems: MenuItem[] = MUTE_CHOICES.map((choice) => ({
    label: choice.label,
    onSelect: () => {
      const until =
        choice.durationMs === Infinity
          ? MUTE_FOREVER
          : Date.now() + choice.durationMs;
      patch({ mutedUntil: until });
    },
  }));
  const items: MenuItem[] = [
    {
      label: chat.pinned ? "Unpin chat" : "Pin chat",
      onSelect: () => patch({ pinned: !chat.pinned }),
    },
    {
      label: chat.archived ? "Unarchive chat" : "Archive chat",
      onSelect: () => patch({ archived: !chat.archived }),
    },
    {
      label: muted ? "Unmute notifications" : "Mute notifications",
      onSelect: () => {
        if (muted) patch({ mutedUntil: 0 });
        else setChoosingMute(true);
      },
    },
  ];
  return (
    <span class="chat-row__actions" ref={wrapper}>
      <MenuButton
        label={`Chat actions for ${title}`}
        items={items}
        class="icon-button chat-row__menu"
      >
        <Icon name="down" />
      </MenuButton>
      {choosingMute && (
        <MenuPopup
          anchor={anchor}
          label={`Mute notifications for ${title}`}
          items={muteItems}
          onClose={(refocus) => {
            setChoosingMute(false);
            if (refocus) anchor.current?.focus();
          }}
        />
      )}
    </span>
  );
}
