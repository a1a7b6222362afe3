import type { CallEvent } from "../../../../protocol/index.ts";
import type { MessageRow } from "../../data/index.ts";
import { callEntryText, isMissedCall } from "../../data/call-text.ts";
import { isMe } from "../common/names.tsx";
import { formatTime } from "../format.ts";
import { callChat } from "./CallButtons.tsx";
import { Icon } from "./icons.tsx";

/**
 * Renders a call entry in the chat: icon, "Missed voice call" or
 * "Outgoing video call · 2:31", the time, and a button to call back.
 */
export function CallEntry(props: { message: MessageRow; event: CallEvent }) {
  const { message, event } = props;
  const outgoing = isMe(event.callerId);
  const missed = isMissedCall(event, outgoing);
  return (
    <article
      class="system-message call-entry"
      data-message-id={message.id}
      aria-label={callEntryText(event, outgoing)}
    >
      <span
        class={
          missed ? "call-entry__box call-entry--missed" : "call-entry__box"
        }
      >
        <Icon
          name={event.video ? "videocam" : "call"}
          class="call-entry__icon"
        />
        <span>{callEntryText(event, outgoing)}</span>
        <time class="call-entry__time">{formatTime(message.ts)}</time>
        <button
          type="button"
          class="link-button"
          onClick={() => callChat(message.chatId, event.video)}
        >
          Call back
        </button>
      </span>
    </article>
  );
}
