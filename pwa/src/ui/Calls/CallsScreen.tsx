import { useCallLog, type CallLogEntry } from "../../data/call-log.ts";
import { formatCallDuration, isMissedCall } from "../../data/call-text.ts";
import { callChat } from "../Chat/CallButtons.tsx";
import { Icon } from "../Chat/icons.tsx";
import { Avatar } from "../common/Avatar.tsx";
import { isMe, useAvatarName, usePersonName } from "../common/names.tsx";
import { BackButton } from "../NewChat/NewChat.tsx";
import { formatListTime } from "../format.ts";
import { chatPath, onLinkClick } from "../router.ts";
import "./Calls.css";

/** Renders the calls tab: call entries of every chat, newest first. */
export function CallsScreen() {
  const entries = useCallLog();
  return (
    <div class="screen">
      <header class="screen__header">
        <BackButton />
        <h1>Calls</h1>
      </header>
      <div class="chat-list__scroll">
        {entries !== undefined && entries.length === 0 && (
          <p class="calls__empty">
            No calls yet. Start one with the call buttons at the top of a chat.
          </p>
        )}
        {entries !== undefined && entries.length > 0 && (
          <ul class="calls" role="list" aria-label="Calls">
            {entries.map((entry) => (
              <CallRow key={entry.messageId} entry={entry} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/** Returns "Missed", "Declined" and so on for the row's second line. */
function outcomeText(entry: CallLogEntry, outgoing: boolean): string {
  const { event } = entry;
  if (isMissedCall(event, outgoing)) return "Missed";
  switch (event.outcome) {
    case "completed":
      return formatCallDuration(event.durationMs);
    case "missed":
      return "No answer";
    case "declined":
      return "Declined";
    case "busy":
      return "Busy";
    case "cancelled":
      return "Cancelled";
    case "failed":
      return "Failed";
  }
}

function CallRow({ entry }: { entry: CallLogEntry }) {
  const { event } = entry;
  const outgoing = isMe(event.callerId);
  const personId = entry.peerId ?? event.callerId;
  const name = usePersonName(personId);
  const avatarName = useAvatarName(personId);
  const missed = isMissedCall(event, outgoing);
  const kind = event.video ? "video call" : "voice call";
  const direction = outgoing ? "Outgoing" : "Incoming";
  const path = chatPath(entry.chatId);
  return (
    <li class="calls__row">
      <a
        href={path}
        class="calls__link"
        onClick={(click) => onLinkClick(click, path)}
      >
        <Avatar id={personId} name={avatarName} />
        <span class="calls__text">
          <span class="calls__name">{name}</span>
          <span
            class={missed ? "calls__detail calls--missed" : "calls__detail"}
          >
            {direction} {kind} · {outcomeText(entry, outgoing)}
          </span>
        </span>
        <time class="calls__time">{formatListTime(entry.ts)}</time>
      </a>
      <button
        type="button"
        class="icon-button"
        aria-label={`Call ${name} back`}
        title="Call back"
        onClick={() => callChat(entry.chatId, event.video)}
      >
        <Icon name={event.video ? "videocam" : "call"} />
      </button>
    </li>
  );
}
