import { useState } from "preact/hooks";
import {
  MAX_GROUP_MEMBERS,
  MAX_GROUP_NAME_CHARS,
} from "../../../../protocol/index.ts";
import {
  contactsByUser,
  session,
  type PublicProfile,
} from "../../data/index.ts";
import { createGroup } from "../../data/chats.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Icon } from "../Chat/icons.tsx";
import { errorMessage } from "../common/notice.tsx";
import { formatPhone } from "../format.ts";
import { chatPath, navigate } from "../router.ts";
import { BackButton } from "./NewChat.tsx";
import { PhoneLookup } from "./PhoneLookup.tsx";
import "./NewChat.css";

/** Returns the saved contact name, else the person's own name or number. */
export function profileName(profile: PublicProfile): string {
  return (
    contactsByUser.value.get(profile.id)?.name ??
    (profile.displayName.trim() || formatPhone(profile.phone))
  );
}

/** Name a group, add people by phone number, then create it. */
export function NewGroup() {
  const [name, setName] = useState("");
  const [members, setMembers] = useState<PublicProfile[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  const onFound = (profile: PublicProfile) => {
    if (profile.id === session.value?.me.id) {
      throw new Error("You are in the group already as its creator.");
    }
    if (members.some((member) => member.id === profile.id)) {
      throw new Error(`${profileName(profile)} is already in the list.`);
    }
    if (members.length + 1 >= MAX_GROUP_MEMBERS) {
      throw new Error(`A group has at most ${MAX_GROUP_MEMBERS} members.`);
    }
    setMembers([...members, profile]);
  };

  const onCreate = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError("");
    try {
      const ids = members.map((member) => member.id);
      const chatId = await createGroup(name.trim(), ids);
      navigate(chatPath(chatId), { replace: true });
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <div class="screen">
      <header class="screen__header">
        <BackButton />
        <h1>New group</h1>
      </header>
      <div class="screen__body">
        <label class="field">
          <span class="field__label">Group name</span>
          <input
            class="field__input"
            type="text"
            required
            autoFocus
            maxLength={MAX_GROUP_NAME_CHARS}
            value={name}
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
        <section class="card" aria-labelledby="new-group-add">
          <h2 id="new-group-add">Add members</h2>
          <PhoneLookup action="Add" onFound={onFound} />
        </section>
        <MemberDraft
          members={members}
          onRemove={(id) => setMembers(members.filter((m) => m.id !== id))}
        />
        <p class="form-error" role="alert">
          {error}
        </p>
        <button
          type="button"
          class="button"
          disabled={busy || name.trim() === ""}
          onClick={(event) => void onCreate(event)}
        >
          Create group
        </button>
      </div>
    </div>
  );
}

function MemberDraft(props: {
  members: PublicProfile[];
  onRemove: (id: string) => void;
}) {
  if (props.members.length === 0) {
    return <p class="field__hint">No members added yet.</p>;
  }
  return (
    <ul class="member-draft" role="list" aria-label="Members to add">
      {props.members.map((member) => {
        const name = profileName(member);
        return (
          <li key={member.id} class="member-draft__item">
            <Avatar id={member.id} name={name} size="small" />
            <span class="member-draft__name">
              {name}
              <span class="field__hint" dir="ltr">
                {formatPhone(member.phone)}
              </span>
            </span>
            <button
              type="button"
              class="icon-button"
              aria-label={`Remove ${name}`}
              onClick={() => props.onRemove(member.id)}
            >
              <Icon name="close" />
            </button>
          </li>
        );
      })}
    </ul>
  );
}
