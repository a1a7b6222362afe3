import { useState } from "preact/hooks";
import type { CountryCode } from "libphonenumber-js";
import {
  MAX_DISPLAY_NAME_CHARS,
  displayName,
} from "../../../../protocol/index.ts";
import { contacts, type Contact } from "../../data/index.ts";
import { saveContact } from "../../data/contact-edits.ts";
import { Dialog } from "../common/Dialog.tsx";
import { PhoneField } from "../common/PhoneField.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";
import { ownRegion, parseTypedPhone, phoneFieldValue } from "./phone.ts";

export interface ContactDialogProps {
  /** The contact to rename; absent to add one. */
  contact?: Contact;
  /**
   * Values of a new contact: its E.164 number (then fixed), its name, and
   * the account known to use the number, such as someone who wrote.
   */
  prefill?: { phone: string; name: string; userId?: string };
  onClose: () => void;
  onSaved?: (contact: Contact) => void;
}

/** Returns why `name` cannot be saved, or null when it can. */
function nameError(name: string): string | null {
  if (name.trim() === "") return "Enter a name.";
  const result = displayName.safeParse(name);
  if (result.success) return null;
  return `The name ${result.error.issues[0]?.message ?? "is invalid"}.`;
}

/**
 * Renders the "New contact" and "Edit contact" dialog: a number (international,
 * or national in the region of the person's own number) and a name. The
 * number of an existing or prefilled contact cannot be changed. A
 * prefilled number that is saved already, but without its account (saved
 * while the daily check limit was used up), opens that contact to edit,
 * and saving it links the account.
 */
export function ContactDialog(props: ContactDialogProps) {
  const [editing] = useState(
    () =>
      props.contact ??
      (props.prefill === undefined
        ? undefined
        : contacts.value.get(props.prefill.phone)),
  );
  const fixedPhone = editing?.phone ?? props.prefill?.phone;
  const initial =
    fixedPhone === undefined
      ? { region: ownRegion(), phone: "" }
      : phoneFieldValue(fixedPhone);
  const [region, setRegion] = useState<CountryCode>(initial.region);
  const [phone, setPhone] = useState(initial.phone);
  const [name, setName] = useState(editing?.name ?? props.prefill?.name ?? "");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const parsed =
      fixedPhone === undefined
        ? parseTypedPhone(phone, region)
        : { phone: fixedPhone };
    if ("error" in parsed) return setError(parsed.error);
    const existing = contacts.value.get(parsed.phone);
    if (editing === undefined && existing !== undefined) {
      return setError(
        `${formatPhone(parsed.phone)} is already in your contacts as ` +
          `“${existing.name}”. Edit that contact to rename it.`,
      );
    }
    const invalidName = nameError(name);
    if (invalidName !== null) return setError(invalidName);
    setBusy(true);
    setError("");
    try {
      const saved = await saveContact(
        parsed.phone,
        name.trim(),
        props.prefill?.userId,
      );
      props.onSaved?.(saved);
      props.onClose();
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={editing === undefined ? "New contact" : "Edit contact"}
      onClose={props.onClose}
    >
      <form
        class="contact-form"
        noValidate
        onSubmit={(event) => void onSubmit(event)}
      >
        <PhoneField
          region={region}
          phone={phone}
          onRegion={setRegion}
          onPhone={setPhone}
          disabled={fixedPhone !== undefined || busy}
          autoFocus={fixedPhone === undefined}
        />
        <label class="field">
          <span class="field__label">Contact name</span>
          <input
            class="field__input"
            type="text"
            required
            maxLength={MAX_DISPLAY_NAME_CHARS}
            autoFocus={fixedPhone !== undefined}
            disabled={busy}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
        <p class="form-error" role="alert">
          {error}
        </p>
        <div class="dialog__actions">
          <button
            type="button"
            class="button button--secondary"
            onClick={props.onClose}
          >
            Cancel
          </button>
          <button type="submit" class="button" disabled={busy}>
            {busy ? "Saving…" : "Save contact"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
