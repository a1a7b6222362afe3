import { useState } from "preact/hooks";
import { MAX_DISPLAY_NAME_CHARS } from "../../../../protocol/index.ts";
import {
  addContact,
  blocked,
  blockUser,
  contacts,
  removeContact,
  unblockUser,
  type PublicProfile,
} from "../../data/index.ts";
import { run } from "../common/notice.tsx";

/**
 * Contact and block actions of a one-to-one chat's contact info. A saved
 * name replaces the person's own name wherever the app shows them.
 */
export function PersonActions({ profile }: { profile: PublicProfile }) {
  const saved = contacts.value.get(profile.id);
  const isBlocked = blocked.value.has(profile.id);
  const [naming, setNaming] = useState(false);
  return (
    <div class="chat-info__actions">
      {naming ? (
        <ContactForm profile={profile} onDone={() => setNaming(false)} />
      ) : saved === undefined ? (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => setNaming(true)}
        >
          Add to contacts
        </button>
      ) : (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => run(() => removeContact(profile.id))}
        >
          Remove from contacts
        </button>
      )}
      {isBlocked ? (
        <button
          type="button"
          class="button button--secondary"
          onClick={() => run(() => unblockUser(profile.id))}
        >
          Unblock
        </button>
      ) : (
        <button
          type="button"
          class="button button--danger"
          onClick={() => run(() => blockUser(profile.id))}
        >
          Block
        </button>
      )}
      {isBlocked && (
        <p class="field__hint">
          You blocked this person. They can't message you or see when you are
          online or typing.
        </p>
      )}
    </div>
  );
}

function ContactForm(props: { profile: PublicProfile; onDone: () => void }) {
  const [name, setName] = useState(props.profile.displayName);
  return (
    <form
      class="chat-info__rename"
      onSubmit={(event) => {
        event.preventDefault();
        run(async () => {
          await addContact(props.profile.id, name.trim());
          props.onDone();
        });
      }}
    >
      <label class="field">
        <span class="field__label">Contact name</span>
        <input
          class="field__input"
          type="text"
          maxLength={MAX_DISPLAY_NAME_CHARS}
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
      </label>
      <div class="row">
        <button type="submit" class="button" disabled={name.trim() === ""}>
          Save contact
        </button>
        <button
          type="button"
          class="button button--secondary"
          onClick={props.onDone}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
