import { useState } from "preact/hooks";
import type { ReportReason } from "../../../../protocol/reports.ts";
import { type ChatRow } from "../../data/index.ts";
import { leaveChat } from "../../data/chats.ts";
import { blockUser } from "../../data/contact-edits.ts";
import { ConfirmDialog } from "../common/ConfirmDialog.tsx";

const REASONS: { value: ReportReason; label: string }[] = [
  { value: "spam", label: "Spam" },
  { value: "abuse", label: "Abuse or harassment" },
  { value: "other", label: "Something else" },
];

/**
 * "Report" in a chat's info: sends the chat's newest messages, as this
 * device shows them, to the operators, and can also block the person or
 * leave the group. No member of the chat gets any message about it.
 */
export function ReportChat({ chat, name }: { chat: ChatRow; name: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<ReportReason>("spam");
  const [alsoAct, setAlsoAct] = useState(true);
  const [done, setDone] = useState(false);
  const isGroup = chat.kind === "group";
  const actLabel = isGroup ? "Also leave the group" : `Also block ${name}`;

  const onReport = async () => {
    const { reportChat } = await import("../../data/reports.ts");
    await reportChat(chat.id, reason);
    if (alsoAct && isGroup) await leaveChat(chat.id);
    if (alsoAct && !isGroup && chat.peerId !== null) {
      await blockUser(chat.peerId);
    }
    setDone(true);
  };

  return (
    <div class="chat-info__report">
      <button
        type="button"
        class="button button--danger"
        onClick={() => {
          setDone(false);
          setOpen(true);
        }}
      >
        {isGroup ? "Report group" : `Report ${name}`}
      </button>
      <p class="field__hint" role="status">
        {done ? "Thanks, your report was sent." : ""}
      </p>
      {open && (
        <ConfirmDialog
          title={isGroup ? `Report “${name}”?` : `Report ${name}?`}
          confirm="Report"
          onConfirm={onReport}
          onClose={() => setOpen(false)}
        >
          <p>
            The last 5 messages of this chat on this device are sent to the
            people who run this service. Nobody in the chat is told.
          </p>
          <fieldset class="report__reasons">
            <legend>Reason</legend>
            {REASONS.map((option) => (
              <label key={option.value} class="report__choice">
                <input
                  type="radio"
                  name="report-reason"
                  value={option.value}
                  checked={reason === option.value}
                  onChange={() => setReason(option.value)}
                />
                {option.label}
              </label>
            ))}
          </fieldset>
          <label class="report__choice">
            <input
              type="checkbox"
              checked={alsoAct}
              onChange={(event) => setAlsoAct(event.currentTarget.checked)}
            />
            {actLabel}
          </label>
        </ConfirmDialog>
      )}
    </div>
  );
}
