import { useState } from "preact/hooks";
import {
  blocked,
  contactsByUser,
  type PublicProfile,
} from "../../data/index.ts";
import { removeContact } from "../../data/contact-edits.ts";
import { BlockButton, BlockDialog } from "../common/BlockDialog.tsx";
import { ConfirmDialog } from "../common/ConfirmDialog.tsx";
import { ContactDialog } from "../common/contactDialog.tsx";
import { usePersonName } from "../common/names.tsx";

type OpenDialog = "add" | "edit" | "remove" | "block" | null;

/**
 * Contact and block actions of a one-to-one chat's contact info. A saved
 * name replaces the person's own name wherever the app shows them.
 */
export function PersonActions({ profile }: { profile: PublicProfile }) {
  const saved = contactsByUser.value.get(profile.id);
  const isBlocked = blocked.value.has(profile.id);
  const name = usePersonName(profile.id);
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const close = () => setDialog(null);
  return (
    <div class="chat-info__actions">
      {saved === undefined ? (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => setDialog("add")}
        >
          Add to contacts
        </button>
      ) : (
        <div class="row">
          <button
            type="button"
            class="button button--secondary"
            onClick={() => setDialog("edit")}
          >
            Edit contact
          </button>
          <button
            type="button"
            class="button button--secondary"
            onClick={() => setDialog("remove")}
          >
            Remove from contacts
          </button>
        </div>
      )}
      <BlockButton
        userId={profile.id}
        isBlocked={isBlocked}
        onBlock={() => setDialog("block")}
      />
      {isBlocked && (
        <p class="field__hint">
          You blocked this person. They can't message you or see when you are
          online or typing.
        </p>
      )}
      {dialog === "add" && (
        <ContactDialog
          prefill={{
            phone: profile.phone,
            name: profile.displayName,
            userId: profile.id,
          }}
          onClose={close}
        />
      )}
      {dialog === "edit" && saved !== undefined && (
        <ContactDialog contact={saved} onClose={close} />
      )}
      {dialog === "remove" && saved !== undefined && (
        <ConfirmDialog
          title={`Remove ${saved.name} from contacts?`}
          confirm="Remove"
          onConfirm={() => removeContact(saved.phone)}
          onClose={close}
        >
          <p>
            They will show by their number again. Your chat with them stays.
          </p>
        </ConfirmDialog>
      )}
      {dialog === "block" && (
        <BlockDialog userId={profile.id} name={name} onClose={close} />
      )}
    </div>
  );
}
