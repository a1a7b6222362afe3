import { useState } from "preact/hooks";
import { DELETE_FOR_EVERYONE_WINDOW_MS } from "../../../../protocol/index.ts";
import {
  deleteForEveryone,
  deleteForMe,
  type MessageRow,
} from "../../data/index.ts";
import { saveMedia } from "../../media/index.ts";
import { Icon } from "./icons.tsx";
import { MenuButton, type MenuItem } from "../common/Menu.tsx";
import { run, showNotice } from "../common/notice.tsx";
import { useChatState, type ChatState } from "./chatState.ts";
import { MessageInfo } from "./MessageInfo.tsx";
import { ReactionPicker } from "./Reactions.tsx";

interface MessageActionsProps {
  message: MessageRow;
  own: boolean;
  /** The bubble, near which the reaction picker opens. */
  anchor: { current: HTMLElement | null };
  picking: boolean;
  onPicking: (picking: boolean) => void;
}

/** The "Message actions" button with its menu, picker and info dialog. */
export function MessageActions(props: MessageActionsProps) {
  const { message } = props;
  const state = useChatState();
  const [showInfo, setShowInfo] = useState(false);
  const items = menuItems(state, props, () => setShowInfo(true));
  return (
    <>
      <MenuButton label="Message actions" items={items} class="bubble__actions">
        <Icon name="down" />
      </MenuButton>
      {props.picking && (
        <ReactionPicker
          message={message}
          anchor={props.anchor}
          onClose={() => props.onPicking(false)}
        />
      )}
      {showInfo && message.seq !== null && (
        <MessageInfo
          message={message}
          seq={message.seq}
          onClose={() => setShowInfo(false)}
        />
      )}
    </>
  );
}

function menuItems(
  state: ChatState,
  props: MessageActionsProps,
  openInfo: () => void,
): MenuItem[] {
  const { message, own } = props;
  const { chatId, id } = message;
  const sent = message.seq !== null;
  const items: MenuItem[] = [];
  if (message.deleted) {
    items.push({
      label: "Delete for me",
      onSelect: () => run(() => deleteForMe(chatId, id)),
    });
    return items;
  }
  if (sent) {
    items.push({ label: "Reply", onSelect: () => startReply(state, message) });
    items.push({ label: "React", onSelect: () => props.onPicking(true) });
  }
  if (own && sent) {
    items.push({ label: "Edit", onSelect: () => startEdit(state, message) });
  }
  const media = message.media ?? null;
  // An own file that is still uploading has no final key to save with.
  if (media !== null && sent) {
    items.push({
      label: "Save",
      onSelect: () => run(() => saveMedia(chatId, media)),
    });
  }
  if (media === null || message.text !== "") {
    items.push({
      label: "Copy",
      onSelect: () => run(() => copyText(message.text)),
    });
  }
  if (own && sent) items.push({ label: "Info", onSelect: openInfo });
  items.push({
    label: "Delete for me",
    danger: true,
    onSelect: () => run(() => deleteForMe(chatId, id)),
  });
  const age = Date.now() - message.ts;
  if (own && sent && age < DELETE_FOR_EVERYONE_WINDOW_MS) {
    items.push({
      label: "Delete for everyone",
      danger: true,
      onSelect: () => run(() => deleteForEveryone(chatId, id)),
    });
  }
  return items;
}

function startReply(state: ChatState, message: MessageRow) {
  state.editing.value = null;
  state.replyTo.value = message;
  state.composer.current?.focus();
}

function startEdit(state: ChatState, message: MessageRow) {
  state.replyTo.value = null;
  state.editing.value = message;
  state.composer.current?.focus();
}

async function copyText(text: string) {
  await navigator.clipboard.writeText(text);
  showNotice("Message copied.");
}
