import { useState } from "preact/hooks";
import { deleteAccount } from "../../data/account-delete.ts";
import { session } from "../../data/index.ts";
import { Dialog } from "../common/Dialog.tsx";
import { errorMessage } from "../common/notice.tsx";
import { navigate } from "../router.ts";

/** Returns the digits of a typed phone number, for comparing numbers. */
function digitsOf(phone: string): string {
  return phone.replace(/\D/g, "");
}

/**
 * Confirms "Delete my account": lists what is erased, requests the
 * account's phone number, and shows progress and errors. This browser's
 * data is wiped only after the server confirmed the deletion.
 */
export function DeleteAccountDialog({ onClose }: { onClose: () => void }) {
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const own = session.value?.me.phone ?? "";
  const matches = own !== "" && digitsOf(phone) === digitsOf(own);

  const onDelete = async () => {
    setBusy(true);
    setError("");
    try {
      await deleteAccount(phone.trim());
      navigate("/", { replace: true });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <Dialog title="Delete my account?" onClose={busy ? () => {} : onClose}>
      <p>Deleting your account erases, on the server:</p>
      <ul>
        <li>your profile, name, about text and profile photo</li>
        <li>your devices, which are all logged out</li>
        <li>your contacts, blocked people and notification settings</li>
        <li>your place in every chat: you leave each group</li>
        <li>the photos, videos and files you sent</li>
      </ul>
      <p>
        Messages you sent stay with the people who got them, shown as from a
        deleted account. Your number becomes free: signing up with it again
        starts a new, empty account. This can't be undone.
      </p>
      <label class="field">
        <span>Type your phone number, with the country code, to confirm</span>
        <input
          type="tel"
          autoComplete="off"
          value={phone}
          disabled={busy}
          onInput={(event) => setPhone(event.currentTarget.value)}
        />
      </label>
      <p aria-live="polite">{busy ? "Deleting your account…" : ""}</p>
      <p class="form-error" role="alert">
        {error}
      </p>
      <div class="dialog__actions">
        <button
          type="button"
          class="button button--secondary"
          autoFocus
          disabled={busy}
          onClick={onClose}
        >
          Cancel
        </button>
        <button
          type="button"
          class="button button--danger"
          disabled={busy || !matches}
          onClick={() => void onDelete()}
        >
          Delete my account
        </button>
      </div>
    </Dialog>
  );
}
