import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  useChat,
  useChatDetail,
  useProfile,
  useTyping,
  type ChatRow,
} from "../../data/index.ts";
import { loadCalls } from "../../data/call-frames.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "./icons.tsx";
import { showNotice } from "../common/notice.tsx";
import { ChatTitle, chatAvatarName, chatTitle } from "../common/names.tsx";
import { GroupTyping, usePeerStatus } from "../common/Presence.tsx";
import { formatPhone } from "../format.ts";
import { goBack, navigate } from "../router.ts";
import { addAttachments, filesOf } from "./Attach/AttachMenu.tsx";
import { CallButtons, GroupCallBanner } from "./CallButtons.tsx";
import { ChatContext, createChatState, type ChatState } from "./chatState.ts";
import { Composer } from "./Composer.tsx";
import { MessageList } from "./MessageList.tsx";
import { UnknownSenderBanner } from "./UnknownSenderBanner.tsx";
import { Viewer } from "./Viewer/Viewer.tsx";
import "./Chat.css";

interface ChatScreenProps {
  chatId: string;
  /** A message to show (from search) instead of the first unread one. */
  jumpTo: string | null;
  /** Focus the composer, for a notification's Reply. */
  compose?: boolean;
  /** Accept this call when it rings, for a notification's Answer. */
  callId?: string | null;
}

/** One chat: header, the message list and the composer. */
export function ChatScreen(props: ChatScreenProps) {
  const { chatId, jumpTo, compose } = props;
  const state = useMemo(() => createChatState(chatId, jumpTo), [chatId]);
  const chat = useChat(chatId);
  const title = chatTitle(chat);
  const firstRender = useRef(true);

  // A search result in the chat that is already open changes only the
  // query string, so the jump request is renewed here.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    if (jumpTo !== null) state.jumpTo.value = { id: jumpTo, highlight: true };
  }, [jumpTo]);

  // The composer sets its ref in its own effect, which runs before this.
  useEffect(() => {
    if (compose === true) state.composer.current?.focus();
  }, [compose]);

  useAnswerFromLink(chatId, props.callId ?? null);

  const peer = useProfile(chat?.peerId ?? "");
  const peerDeleted = chat?.kind === "direct" && peer?.deleted === true;
  const canSend = chat?.left !== true && !peerDeleted;
  const drop = useFileDrop(state, canSend);
  return (
    <ChatContext.Provider value={state}>
      <section class="chat" aria-label={title || "Chat"} {...drop.handlers}>
        {drop.over && <div class="drop-zone">Drop files to send</div>}
        {state.viewing.value !== null && <Viewer chatId={chatId} />}
        <ChatHeader chatId={chatId} chat={chat} />
        {chat !== undefined && <UnknownSenderBanner chat={chat} />}
        {chat !== undefined && <GroupCallBanner chat={chat} />}
        <MessageList chatId={chatId} />
        {chat?.left === true ? (
          <p class="chat__left">You are no longer a member of this group.</p>
        ) : peerDeleted ? (
          <p class="chat__left">
            This account was deleted. You can't send messages to this chat.
          </p>
        ) : (
          <Composer chatId={chatId} />
        )}
      </section>
    </ChatContext.Provider>
  );
}

/**
 * Handlers that open the attachment sheet with files dropped on the chat,
 * and whether files are dragged over it now.
 */
function useFileDrop(state: ChatState, enabled: boolean) {
  const [over, setOver] = useState(false);
  // dragenter and dragleave fire for every child crossed, so a counter
  // detects when the pointer really left the chat.
  const depth = useRef(0);
  const carriesFiles = (event: DragEvent) =>
    enabled && (event.dataTransfer?.types.includes("Files") ?? false);
  const handlers = {
    onDragEnter: (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth.current += 1;
      setOver(true);
    },
    onDragOver: (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      if (event.dataTransfer !== null) event.dataTransfer.dropEffect = "copy";
    },
    onDragLeave: (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setOver(false);
    },
    onDrop: (event: DragEvent) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth.current = 0;
      setOver(false);
      const files = filesOf(event.dataTransfer);
      if (files.length > 0) addAttachments(state.attachments, files);
    },
  };
  return { over, handlers };
}

/**
 * Accepts the call `callId` once it rings (`?call=`, from a notification's
 * Answer), and drops the query so that a reload does not accept again.
 */
function useAnswerFromLink(chatId: string, callId: string | null) {
  useEffect(() => {
    if (callId === null) return;
    navigate(`/chat/${encodeURIComponent(chatId)}`, { replace: true });
    loadCalls()
      .then((calls) => calls.answerWhenRinging(callId))
      .catch(() => showNotice("The call could not be loaded. Try again."));
  }, [callId]);
}

function ChatHeader({
  chatId,
  chat,
}: {
  chatId: string;
  chat: ChatRow | undefined;
}) {
  const openInfo = () => navigate(`/chat/${encodeURIComponent(chatId)}/info`);
  return (
    <header class="chat__header">
      <button
        type="button"
        class="icon-button phone-only"
        aria-label="Back"
        onClick={() => goBack("/")}
      >
        <Icon name="back" />
      </button>
      <button
        type="button"
        class="chat__info-button"
        aria-label="Chat info"
        onClick={openInfo}
      >
        <Avatar
          id={chat?.peerId ?? chatId}
          name={chatAvatarName(chat)}
          size="small"
        />
        <span class="chat__heading">
          <span class="chat__title">
            {chat !== undefined && <ChatTitle chat={chat} />}
          </span>
          {chat !== undefined && <Subtitle chat={chat} />}
        </span>
      </button>
      {chat !== undefined && <CallButtons chat={chat} />}
    </header>
  );
}

function Subtitle({ chat }: { chat: ChatRow }) {
  if (chat.kind === "direct") {
    return chat.peerId === null ? null : (
      <PeerStatus chatId={chat.id} peerId={chat.peerId} />
    );
  }
  return <GroupStatus chatId={chat.id} />;
}

/** Typing, online or last seen; the phone number while none is known. */
function PeerStatus({ chatId, peerId }: { chatId: string; peerId: string }) {
  const status = usePeerStatus(chatId, peerId);
  const profile = useProfile(peerId);
  // A deleted account has no presence and no number left to show.
  if (profile?.deleted === true) return null;
  if (status === null) return <PeerPhone peerId={peerId} />;
  return (
    <span class="chat__subtitle" aria-live="polite">
      {status}
    </span>
  );
}

function GroupStatus({ chatId }: { chatId: string }) {
  const typing = useTyping(chatId);
  if (typing.length === 0) return <GroupMembers chatId={chatId} />;
  return (
    <span class="chat__subtitle" aria-live="polite">
      <GroupTyping entries={typing} />
    </span>
  );
}

function PeerPhone({ peerId }: { peerId: string }) {
  const profile = useProfile(peerId);
  if (profile === undefined) return null;
  return (
    <span class="chat__subtitle" dir="ltr">
      {formatPhone(profile.phone)}
    </span>
  );
}

function GroupMembers({ chatId }: { chatId: string }) {
  const detail = useChatDetail(chatId);
  if (detail === undefined)
    return <span class="chat__subtitle">tap for info</span>;
  return (
    <span class="chat__subtitle">
      {detail.members.length === 1
        ? "1 member"
        : `${detail.members.length} members`}
    </span>
  );
}
