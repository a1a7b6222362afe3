import { blocked } from "../../data/index.ts";
import { unblockUser } from "../../data/contact-edits.ts";
import { PersonName } from "../common/names.tsx";
import { run } from "../common/notice.tsx";

/** Lists the people this person blocked, each with an "Unblock" button. */
export function BlockedContacts() {
  const ids = [...blocked.value];
  return (
    <section class="card" aria-labelledby="settings-blocked">
      <h2 id="settings-blocked">Blocked contacts</h2>
      {ids.length === 0 ? (
        <p class="field__hint">You have not blocked anyone.</p>
      ) : (
        <ul class="blocked-list" aria-label="Blocked contacts">
          {ids.map((id) => (
            <BlockedRow key={id} userId={id} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BlockedRow({ userId }: { userId: string }) {
  return (
    <li class="blocked-list__row">
      <span class="blocked-list__name">
        <PersonName id={userId} subject />
      </span>
      <button
        type="button"
        class="button button--secondary"
        onClick={() => run(() => unblockUser(userId))}
      >
        Unblock
      </button>
    </li>
  );
}
