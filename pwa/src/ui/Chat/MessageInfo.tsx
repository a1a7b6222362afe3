import { useReceiptDetail, type MessageRow } from "../../data/index.ts";
import { Dialog } from "../common/Dialog.tsx";
import { PersonName } from "../common/names.tsx";
import { formatTime } from "../format.ts";
import { useChatState } from "./chatState.ts";
import { MessageText } from "./MessageText.tsx";

interface MessageInfoProps {
  message: MessageRow;
  seq: number;
  onClose: () => void;
}

/** Who has received and who has read one of my messages. */
export function MessageInfo({ message, seq, onClose }: MessageInfoProps) {
  const state = useChatState();
  const receipts = useReceiptDetail(state.chatId, seq);
  const read = receipts?.filter((r) => r.read) ?? [];
  const delivered = receipts?.filter((r) => r.delivered && !r.read) ?? [];
  const waiting = receipts?.filter((r) => !r.delivered) ?? [];
  return (
    <Dialog title="Message info" onClose={onClose} class="message-info">
      <div class="message-info__bubble">
        <MessageText text={message.text} />
        <span class="bubble__meta">{formatTime(message.ts)}</span>
      </div>
      {receipts === undefined ? (
        <p>Loading…</p>
      ) : (
        <>
          <ReceiptGroup title="Read" userIds={read.map((r) => r.userId)} />
          <ReceiptGroup
            title="Delivered"
            userIds={delivered.map((r) => r.userId)}
          />
          {waiting.length > 0 && (
            <ReceiptGroup
              title="Not delivered yet"
              userIds={waiting.map((r) => r.userId)}
            />
          )}
        </>
      )}
      <div class="dialog__actions">
        <button type="button" class="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function ReceiptGroup(props: { title: string; userIds: string[] }) {
  const headingId = `receipts-${props.title.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section class="message-info__group" aria-labelledby={headingId}>
      <h3 id={headingId}>{props.title}</h3>
      {props.userIds.length === 0 ? (
        <p class="field__hint">Nobody yet</p>
      ) : (
        <ul role="list" aria-label={props.title}>
          {props.userIds.map((id) => (
            <ReceiptPerson key={id} userId={id} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ReceiptPerson({ userId }: { userId: string }) {
  return (
    <li>
      <PersonName id={userId} subject />
    </li>
  );
}
