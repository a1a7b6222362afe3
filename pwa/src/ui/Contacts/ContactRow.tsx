import { useState } from "preact/hooks";
import { useProfile, type Contact } from "../../data/index.ts";
import { openDirect } from "../../data/chats.ts";
import { contactAccount } from "../../data/contact-account.ts";
import { removeContact } from "../../data/contact-edits.ts";
import { Avatar } from "../common/Avatar.tsx";
import { ConfirmDialog } from "../common/ConfirmDialog.tsx";
import { Icon } from "../Chat/icons.tsx";
import { MenuButton } from "../common/Menu.tsx";
import { run } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";
import { chatPath, navigate } from "../router.ts";
import { ContactDialog } from "./ContactDialog.tsx";
import { invite } from "./invite.ts";

/**
 * Renders one contact: avatar, saved name, and the about text of an
 * account. An account gets a "Message" button and a number without one,
 * or with a deleted one, an "Invite" button. The menu edits the name or
 * deletes the contact.
 */
export function ContactRow({ contact }: { contact: Contact }) {
  const [dialog, setDialog] = useState<"edit" | "delete" | null>(null);
  const phone = formatPhone(contact.phone);
  const userId = contactAccount(contact, useProfile(contact.userId ?? ""));
  return (
    <li class="contact-row" data-phone={contact.phone}>
      <Avatar id={userId ?? contact.phone} name={contact.name} />
      <span class="contact-row__text">
        <span class="contact-row__name" dir="auto">
          {contact.name}
        </span>
        {userId === null ? (
          <span class="contact-row__detail" dir="ltr">
            {phone}
          </span>
        ) : (
          <About userId={userId} phone={phone} />
        )}
      </span>
      {userId === null ? (
        <button
          type="button"
          class="button button--secondary contact-row__action"
          aria-label={`Invite ${contact.name}`}
          onClick={() => void invite(contact.name)}
        >
          Invite
        </button>
      ) : (
        <MessageButton userId={userId} name={contact.name} />
      )}
      <MenuButton
        label={`Contact actions for ${contact.name}`}
        class="icon-button"
        items={[
          { label: "Edit name", onSelect: () => setDialog("edit") },
          {
            label: "Delete contact",
            danger: true,
            onSelect: () => setDialog("delete"),
          },
        ]}
      >
        <Icon name="more" />
      </MenuButton>
      {dialog === "edit" && (
        <ContactDialog contact={contact} onClose={() => setDialog(null)} />
      )}
      {dialog === "delete" && (
        <ConfirmDialog
          title={`Delete ${contact.name}?`}
          confirm="Delete"
          onConfirm={() => removeContact(contact.phone)}
          onClose={() => setDialog(null)}
        >
          <p>
            {phone} will be removed from your contacts on all your devices. Your
            chats with this number stay.
          </p>
        </ConfirmDialog>
      )}
    </li>
  );
}

/** Renders the about text of an account, else its number. */
function About({ userId, phone }: { userId: string; phone: string }) {
  const profile = useProfile(userId);
  const about = profile?.about ?? "";
  return (
    <span class="contact-row__detail" dir={about === "" ? "ltr" : "auto"}>
      {about === "" ? phone : about}
    </span>
  );
}

function MessageButton({ userId, name }: { userId: string; name: string }) {
  const [busy, setBusy] = useState(false);
  const open = () =>
    run(async () => {
      setBusy(true);
      try {
        navigate(chatPath(await openDirect(userId)));
      } finally {
        setBusy(false);
      }
    });
  return (
    <button
      type="button"
      class="button contact-row__action"
      aria-label={`Message ${name}`}
      disabled={busy}
      onClick={open}
    >
      Message
    </button>
  );
}
