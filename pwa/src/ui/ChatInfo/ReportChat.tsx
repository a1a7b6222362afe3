import { useState } from "preact/hooks";
import type { ReportReason } from "../../../../protocol/reports.ts";
import { blockUser, leaveChat, type ChatRow } from "../../data/index.ts";
import { Dialog } from "../common/Dialog.tsx";
import { errorMessage } from "../common/notice.tsx";

const REASONS: { value: ReportReason; label: string }[] = [
  { value: "spam", label: "Spam" },
  { value: "abuse", label: "Abuse or harassment" },
  { value: "other", label: "Something else" },
];

/**
 * "Report" in a chat's info: sends the chat's newest messages, as this
 * device shows them, to the operators, and can also block the person or
 * leave the group. Nobody in the chat is told.
 */
export function ReportChat({ chat, name }: { chat: ChatRow; name: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<ReportReason>("spam");
  const [alsoAct, setAlsoAct] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [done, setDone] = useState(false);
  const isGroup = chat.kind === "group";
  const actLabel = isGroup ? "Also leave the group" : `Also block ${name}`;

  const onReport = async () => {
    setBusy(true);
    setError("");
    try {
      const { reportChat } = await import("../../data/reports.ts");
      await reportChat(chat.id, reason);
      if (alsoAct && isGroup) await leaveChat(chat.id);
      if (alsoAct && !isGroup && chat.peerId !== null) {
        await blockUser(chat.peerId);
      }
      setDone(true);
      setOpen(false);
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
    }
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
        <Dialog
          title={isGroup ? `Report “${name}”?` : `Report ${name}?`}
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
          <p class="form-error" role="alert">
            {error}
          </p>
          <div class="dialog__actions">
            <button
              type="button"
              class="button button--secondary"
              autoFocus
              onClick={() => setOpen(false)}
            >
              Cancel
            </button>
            <button
              type="button"
              class="button button--danger"
              disabled={busy}
              onClick={() => void onReport()}
            >
              Report
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
