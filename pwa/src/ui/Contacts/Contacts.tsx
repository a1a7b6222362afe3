import { useEffect, useMemo, useState } from "preact/hooks";
import {
  connection,
  contacts,
  contactsReady,
  contactsRefresh,
  loadContacts,
  refreshContactProfiles,
  type Contact,
} from "../../data/index.ts";
import { Icon } from "../Chat/icons.tsx";
import { showNotice } from "../common/notice.tsx";
import { BackButton } from "../NewChat/NewChat.tsx";
import { ContactDialog } from "./ContactDialog.tsx";
import { ContactRow } from "./ContactRow.tsx";
import { ImportContacts } from "./ImportContacts.tsx";
import "./Contacts.css";

/**
 * Rows rendered at first and added by "Show more". Each row of an account
 * reads its profile, so an address book at the contact limit (10,000)
 * would otherwise mount that many live queries at once.
 */
const PAGE_ROWS = 200;

const collator = new Intl.Collator(undefined, {
  sensitivity: "base",
  numeric: true,
});

/** Returns the contacts matching `query` by name or digits, by name. */
function matching(all: Iterable<Contact>, query: string): Contact[] {
  const needle = query.trim().toLocaleLowerCase();
  const digits = needle.replace(/\D/g, "");
  const found = [...all].filter(
    (contact) =>
      needle === "" ||
      contact.name.toLocaleLowerCase().includes(needle) ||
      (digits.length >= 3 && contact.phone.includes(digits)),
  );
  return found.sort(
    (a, b) =>
      collator.compare(a.name, b.name) || a.phone.localeCompare(b.phone),
  );
}

/** Renders the Contacts screen: search, add, import, and the list by name. */
export function Contacts() {
  const [query, setQuery] = useState("");
  const [adding, setAdding] = useState(false);
  const all = contacts.value;
  const ready = contactsReady.value;
  const shown = useMemo(() => matching(all.values(), query), [all, query]);
  useEffect(() => refreshContactProfiles(), []);
  return (
    <div class="screen contacts">
      <header class="screen__header">
        <BackButton />
        <h1>Contacts</h1>
        <button
          type="button"
          class="icon-button"
          aria-label="New contact"
          title="New contact"
          onClick={() => setAdding(true)}
        >
          <Icon name="personAdd" />
        </button>
      </header>
      {all.size > 0 && (
        <div class="chat-list__search">
          <input
            type="search"
            class="chat-list__search-input"
            aria-label="Search contacts"
            placeholder="Search name or number"
            value={query}
            onInput={(event) => setQuery(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === "Escape") setQuery("");
            }}
          />
        </div>
      )}
      <div class="screen__body">
        <RefreshStatus />
        <div class="contacts__actions">
          <button type="button" class="button" onClick={() => setAdding(true)}>
            Add contact
          </button>
          <ImportContacts />
        </div>
        {!ready ? (
          <p class="field__hint">Loading contacts…</p>
        ) : all.size === 0 ? (
          <EmptyState />
        ) : (
          <ContactList contacts={shown} query={query} />
        )}
      </div>
      {adding && (
        <ContactDialog
          onClose={() => setAdding(false)}
          onSaved={(saved) => {
            if (saved.userId === null) {
              showNotice(
                `${saved.name} is not on Messenger yet. Use Invite to ask them.`,
              );
            }
          }}
        />
      )}
    </div>
  );
}

/** Says when the list shown may be out of date, with a retry. */
function RefreshStatus() {
  const offline = connection.value === "offline";
  const failed = contactsRefresh.value === "failed";
  if (!offline && !failed) return null;
  return (
    <p class="contacts__status" role="status">
      {offline
        ? "You are offline. Showing the contacts saved on this device."
        : "Could not refresh your contacts. Showing the ones saved on this device."}
      {!offline && (
        <button
          type="button"
          class="link-button"
          onClick={() => void loadContacts()}
        >
          Try again
        </button>
      )}
    </p>
  );
}

function EmptyState() {
  return (
    <div class="chat-list__empty">
      <p class="chat-list__empty-title">No contacts yet</p>
      <p>
        Add people by their phone number, or import them from your phone or a
        vCard file. Contacts with an account can be messaged; you can invite the
        others.
      </p>
    </div>
  );
}

function ContactList(props: { contacts: Contact[]; query: string }) {
  const [limit, setLimit] = useState(PAGE_ROWS);
  if (props.contacts.length === 0) {
    return (
      <p class="chat-list__no-results">
        No contacts found for “{props.query.trim()}”.
      </p>
    );
  }
  const rows = props.contacts.slice(0, limit);
  return (
    <>
      <ul class="contacts__list" role="list" aria-label="Contacts">
        {rows.map((contact) => (
          <ContactRow key={contact.phone} contact={contact} />
        ))}
      </ul>
      {props.contacts.length > rows.length && (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => setLimit(limit + PAGE_ROWS)}
        >
          Show more ({props.contacts.length - rows.length} left)
        </button>
      )}
    </>
  );
}
