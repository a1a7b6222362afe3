import { useRef, useState } from "preact/hooks";
import { loadCalls } from "../../data/call-frames.ts";
import { type ChatRow } from "../../data/index.ts";
import { updateInbox } from "../../data/chats.ts";
import { Icon } from "../common/Icon.tsx";
import { MenuButton, MenuPopup, type MenuItem } from "../common/Menu.tsx";
import { run } from "../common/notice.tsx";

const MUTE_FOREVER = Number.MAX_SAFE_INTEGER;
const HOUR_MS = 3_600_000;

/** The choices of "Mute notifications", as durations from now. */
const MUTE_CHOICES: { label: string; durationMs: number }[] = [
  { label: "8 hours", durationMs: 8 * HOUR_MS },
  { label: "1 week", durationMs: 7 * 24 * HOUR_MS },
  { label: "Always", durationMs: Infinity },
];

/**
 * Renders the actions menu of a chat row (pin, archive, mute), and "Join"
 * while the group's call runs.
 */
export function ChatActions({
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
    <>
      {chat.groupCall !== null && !chat.left && (
        <GroupCallJoin chatId={chat.id} title={title} call={chat.groupCall} />
      )}
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
    </>
  );
}

/** Shows "Call in progress · 3 joined" and "Join" on a group's row. */
function GroupCallJoin(props: {
  chatId: string;
  title: string;
  call: NonNullable<ChatRow["groupCall"]>;
}) {
  const { chatId, call } = props;
  const join = () =>
    run(async () => {
      const calls = await loadCalls();
      await calls.joinGroupCall(chatId, call.video);
    });
  return (
    <span class="chat-row__call">
      Call in progress · {call.participants} joined
      <button
        type="button"
        class="button chat-row__join"
        aria-label={`Join the call in ${props.title}`}
        onClick={join}
      >
        Join
      </button>
    </span>
  );
}
