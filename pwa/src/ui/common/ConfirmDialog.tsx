import { useState } from "preact/hooks";
import type { ComponentChildren } from "preact";
import { Dialog } from "./Dialog.tsx";
import { errorMessage } from "./notice.tsx";

interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  /** Label of the button that confirms, such as "Delete". */
  confirm: string;
  /** Runs on confirmation; the dialog closes when it resolves. */
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

/**
 * Asks before a destructive action. Cancel has the focus, the action's
 * error shows in the dialog, and the buttons wait while it runs.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const onConfirm = async () => {
    setBusy(true);
    setError("");
    try {
      await props.onConfirm();
      props.onClose();
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      {props.children}
      <p class="form-error" role="alert">
        {error}
      </p>
      <div class="dialog__actions">
        <button
          type="button"
          class="button button--secondary"
          autoFocus
          onClick={props.onClose}
        >
          Cancel
        </button>
        <button
          type="button"
          class="button button--danger"
          disabled={busy}
          onClick={() => void onConfirm()}
        >
          {props.confirm}
        </button>
      </div>
    </Dialog>
  );
}
