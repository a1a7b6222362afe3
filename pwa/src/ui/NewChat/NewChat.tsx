import { useState } from "preact/hooks";
import { type PublicProfile } from "../../data/index.ts";
import { openDirect } from "../../data/chats.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../Chat/icons.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";
import { chatPath, goBack, navigate } from "../router.ts";
import { profileName } from "./NewGroup.tsx";
import { PhoneLookup } from "./PhoneLookup.tsx";
import "./NewChat.css";

/** Find a person by phone number and open the one-to-one chat. */
export function NewChat() {
  const [found, setFound] = useState<PublicProfile | null>(null);
  return (
    <div class="screen">
      <header class="screen__header">
        <BackButton />
        <h1>New chat</h1>
      </header>
      <div class="screen__body">
        <p class="new-chat__lead">
          Enter the phone number of the person you want to message.
        </p>
        <PhoneLookup action="Find" onFound={setFound} autoFocus />
        {found !== null && <FoundPerson profile={found} />}
        <div class="row">
          <button
            type="button"
            class="button button--secondary"
            onClick={() => navigate("/new-group")}
          >
            <Icon name="group" />
            New group
          </button>
          <button
            type="button"
            class="button button--secondary"
            onClick={() => navigate("/contacts")}
          >
            <Icon name="person" />
            Contacts
          </button>
        </div>
      </div>
    </div>
  );
}

export function BackButton() {
  return (
    <button
      type="button"
      class="icon-button"
      aria-label="Back"
      onClick={() => goBack("/")}
    >
      <Icon name="back" />
    </button>
  );
}

function FoundPerson({ profile }: { profile: PublicProfile }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const name = profileName(profile);

  const onMessage = async () => {
    setBusy(true);
    setError("");
    try {
      const chatId = await openDirect(profile.id);
      navigate(chatPath(chatId), { replace: true });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <section class="card new-chat__found" aria-label="Found person">
      <div class="new-chat__person">
        <Avatar id={profile.id} name={name} />
        <div class="new-chat__person-text">
          <h2>{name}</h2>
          <span dir="ltr">{formatPhone(profile.phone)}</span>
          {profile.about !== "" && <span dir="auto">{profile.about}</span>}
        </div>
      </div>
      <p class="form-error" role="alert">
        {error}
      </p>
      <button
        type="button"
        class="button"
        disabled={busy}
        onClick={() => void onMessage()}
      >
        Message
      </button>
    </section>
  );
}
