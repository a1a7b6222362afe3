import { useState } from "preact/hooks";
import { lazyScreen } from "../common/lazy.tsx";

// The dialog loads on demand, because few people ever open it.
const DeleteAccountDialog = lazyScreen(
  "DeleteAccountDialog",
  () =>
    import("./DeleteAccountDialog.tsx").then(
      (module) => module.DeleteAccountDialog,
    ),
  null,
);

/** Renders the "Delete my account" entry of the settings. */
export function DeleteAccountSection() {
  const [open, setOpen] = useState(false);
  return (
    <section class="card" aria-labelledby="settings-delete">
      <h2 id="settings-delete">Delete account</h2>
      <p>
        Erases your account, your profile and your place in every chat, and logs
        out all your devices.
      </p>
      <button
        type="button"
        class="button button--danger"
        onClick={() => setOpen(true)}
      >
        Delete my account
      </button>
      {open && <DeleteAccountDialog onClose={() => setOpen(false)} />}
    </section>
  );
}
