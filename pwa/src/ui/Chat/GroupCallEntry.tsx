import type { GroupCallEvent } from "../../../../protocol/index.ts";
import type { MessageRow } from "../../data/index.ts";
import { groupCallEntryText } from "../../data/call-text.ts";
import { PersonName } from "../common/names.tsx";
import { formatTime } from "../format.ts";
import { Icon } from "./icons.tsx";

/**
 * Renders the entry of a group call that ended: who started it,
 * "Video call · 12:31 · 3 people" and the time it ended.
 */
export function GroupCallEntry(props: {
  message: MessageRow;
  event: GroupCallEvent;
}) {
  const { message, event } = props;
  const text = groupCallEntryText(event);
  return (
    <article
      class="system-message call-entry"
      data-message-id={message.id}
      aria-label={text}
    >
      <span class="call-entry__box">
        <Icon
          name={event.video ? "videocam" : "call"}
          class="call-entry__icon"
        />
        <span>
          <PersonName id={event.startedBy} subject /> started a call
        </span>
        <span>{text}</span>
        <time class="call-entry__time">{formatTime(message.ts)}</time>
      </span>
    </article>
  );
}
