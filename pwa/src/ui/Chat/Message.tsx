import { useRef, useState } from "preact/hooks";
import {
  discardFailed,
  MEDIA_ERROR_TEXT,
  retrySend,
  useTick,
  type MessageRow,
  type Tick,
} from "../../data/index.ts";
import { Icon, type IconName } from "./icons.tsx";
import { memo } from "../common/memo.ts";
import { isMe, PersonName } from "../common/names.tsx";
import { run } from "../common/notice.tsx";
import { SystemText } from "../common/SystemText.tsx";
import { daysAgo, formatDay, formatTime } from "../format.ts";
import { CallEntry } from "./CallEntry.tsx";
import { GroupCallEntry } from "./GroupCallEntry.tsx";
import { useChatState } from "./chatState.ts";
import { MediaContent } from "./Media/MediaContent.tsx";
import { MessageActions } from "./MessageActions.tsx";
import { MessageText, ReplyQuote } from "./MessageText.tsx";
import { Reactions } from "./Reactions.tsx";
import "./Message.css";

interface MessageItemProps {
  message: MessageRow;
  previous: MessageRow | undefined;
  /** Draws the "Unread messages" separator above this message. */
  unreadMarker: boolean;
  /** The message this one replies to, when it is loaded. */
  quoted: MessageRow | undefined;
}

/**
 * One row of the list: separators, then the message itself. It renders
 * again only when a prop changes, so scrolling renders only the rows that
 * come into view.
 */
export const MessageItem = memo(function MessageItem(props: MessageItemProps) {
  const { message, previous } = props;
  const newDay =
    previous === undefined || daysAgo(previous.ts, message.ts) !== 0;
  return (
    <>
      {newDay && (
        <div class="separator separator--day">
          <span>{formatDay(message.ts)}</span>
        </div>
      )}
      {props.unreadMarker && (
        <div class="separator separator--unread">
          <span>Unread messages</span>
        </div>
      )}
      {message.kind === "system" ? (
        <SystemMessage message={message} />
      ) : (
        <Bubble message={message} quoted={props.quoted} />
      )}
    </>
  );
});

function SystemMessage({ message }: { message: MessageRow }) {
  if (message.system?.event === "call") {
    return <CallEntry message={message} event={message.system} />;
  }
  if (message.system?.event === "group_call") {
    return <GroupCallEntry message={message} event={message.system} />;
  }
  return (
    <article class="system-message" data-message-id={message.id}>
      <span dir="auto">
        {message.system === null ? (
          message.text
        ) : (
          <SystemText event={message.system} />
        )}
      </span>
    </article>
  );
}

function Bubble(props: {
  message: MessageRow;
  quoted: MessageRow | undefined;
}) {
  const { message } = props;
  const state = useChatState();
  const own = isMe(message.senderId);
  const anchor = useRef<HTMLDivElement>(null);
  const [picking, setPicking] = useState(false);
  const highlighted = state.highlighted.value === message.id;
  // Rows stored before media existed have no `media` field at all.
  const media = message.deleted ? null : (message.media ?? null);
  const mediaError = !message.deleted && message.mediaError === true;
  const classes = [
    "message",
    own ? "message--own" : "message--other",
    highlighted ? "message--highlighted" : "",
  ];
  const visual = media?.kind === "image" || media?.kind === "video";
  return (
    <article class={classes.join(" ")} data-message-id={message.id}>
      <div class={visual ? "bubble bubble--media" : "bubble"} ref={anchor}>
        {state.isGroup && !own && <SenderName id={message.senderId} />}
        {message.replyTo !== null && !message.deleted && (
          <ReplyQuote id={message.replyTo} quoted={props.quoted} />
        )}
        {media !== null && (
          <MediaContent
            chatId={message.chatId}
            message={message}
            item={media}
          />
        )}
        {message.deleted && (
          <p class="bubble__deleted">This message was deleted</p>
        )}
        {mediaError && (
          <p class="bubble__deleted bubble__media-error">{MEDIA_ERROR_TEXT}</p>
        )}
        {!message.deleted &&
          ((media === null && !mediaError) || message.text !== "") && (
            <MessageText text={message.text} />
          )}
        <span class="bubble__meta">
          {message.editedAt !== null && !message.deleted && (
            <span class="bubble__edited">edited</span>
          )}
          <time dateTime={new Date(message.ts).toISOString()}>
            {formatTime(message.ts)}
          </time>
          {own && !message.deleted && <TickMark message={message} />}
        </span>
        <MessageActions
          message={message}
          own={own}
          anchor={anchor}
          picking={picking}
          onPicking={setPicking}
        />
      </div>
      <Reactions message={message} />
      {message.status === "failed" && <FailedBar message={message} />}
      {message.status !== "failed" && message.error !== null && (
        <p class="message__failed" role="alert">
          {message.error}
        </p>
      )}
    </article>
  );
}

function SenderName({ id }: { id: string }) {
  return (
    <span class="bubble__sender">
      <PersonName id={id} subject />
    </span>
  );
}

const TICKS: Record<Tick, { label: string; icon: IconName }> = {
  pending: { label: "Pending", icon: "clock" },
  sent: { label: "Sent", icon: "check" },
  delivered: { label: "Delivered", icon: "doubleCheck" },
  read: { label: "Read", icon: "doubleCheck" },
  failed: { label: "Failed", icon: "alert" },
};

function TickMark({ message }: { message: MessageRow }) {
  const tick = useTick(message);
  const { label, icon } = TICKS[tick];
  return (
    <span
      role="img"
      aria-label={label}
      title={label}
      class={`tick tick--${tick}`}
    >
      <Icon name={icon} />
    </span>
  );
}

function FailedBar({ message }: { message: MessageRow }) {
  const state = useChatState();
  const edit = () => {
    state.replyTo.value = null;
    state.editing.value = message;
    state.composer.current?.focus();
  };
  return (
    <div class="message__failed">
      <span>{message.error ?? "Not sent."}</span>
      <button type="button" class="link-button" onClick={edit}>
        Edit
      </button>
      <button
        type="button"
        class="link-button"
        onClick={() => run(() => retrySend(message.id))}
      >
        Retry
      </button>
      <button
        type="button"
        class="link-button"
        onClick={() => run(() => discardFailed(message.id))}
      >
        Delete
      </button>
    </div>
  );
}
