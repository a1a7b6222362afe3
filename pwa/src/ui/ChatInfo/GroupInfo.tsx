import { useState } from "preact/hooks";
import { MAX_GROUP_NAME_CHARS } from "../../../../protocol/index.ts";
import {
  session,
  useChatDetail,
  type ChatRow,
  type PublicProfile,
} from "../../data/index.ts";
import { addMembers, leaveChat, renameGroup } from "../../data/chats.ts";
import { Avatar } from "../common/Avatar.tsx";
import { Dialog } from "../common/Dialog.tsx";
import { errorMessage } from "../common/notice.tsx";
import { PhoneLookup } from "../NewChat/PhoneLookup.tsx";
import { MemberList } from "./MemberList.tsx";
import { ReportChat } from "./ReportChat.tsx";

/** Name, members, admin actions and "Leave group" of a group chat. */
export function GroupInfo({ chat }: { chat: ChatRow }) {
  const detail = useChatDetail(chat.id);
  const me = session.value?.me.id;
  const myRole = detail?.members.find((m) => m.userId === me)?.role;
  const admin = !chat.left && (myRole ?? chat.role) === "admin";
  const name = detail?.name ?? chat.name ?? chat.title;
  return (
    <>
      <section class="chat-info__hero">
        <Avatar id={chat.id} name={name} size="large" />
        <GroupName chatId={chat.id} name={name} canRename={admin} />
        <p class="chat-info__phone">
          Group · {detail?.members.length ?? chat.memberCount} members
        </p>
      </section>
      {admin && <AddMembers chatId={chat.id} />}
      {detail !== undefined && (
        <MemberList chatId={chat.id} members={detail.members} admin={admin} />
      )}
      {chat.left ? (
        <p class="chat-info__left">You are no longer a member of this group.</p>
      ) : (
        <>
          <LeaveGroup chatId={chat.id} name={name} />
          <ReportChat chat={chat} name={name} />
        </>
      )}
    </>
  );
}

function GroupName(props: {
  chatId: string;
  name: string;
  canRename: boolean;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(props.name);
  const [error, setError] = useState("");

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setError("");
    try {
      await renameGroup(props.chatId, draft.trim());
      setEditing(false);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };

  if (!editing) {
    return (
      <>
        <h2 dir="auto">{props.name}</h2>
        {props.canRename && (
          <button
            type="button"
            class="button button--secondary"
            onClick={() => {
              setDraft(props.name);
              setEditing(true);
            }}
          >
            Rename group
          </button>
        )}
      </>
    );
  }
  return (
    <form class="chat-info__rename" onSubmit={(event) => void onSubmit(event)}>
      <h2 class="visually-hidden">{props.name}</h2>
      <label class="field">
        <span class="field__label">Group name</span>
        <input
          class="field__input"
          type="text"
          required
          autoFocus
          maxLength={MAX_GROUP_NAME_CHARS}
          value={draft}
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
      </label>
      <p class="form-error" role="alert">
        {error}
      </p>
      <div class="row">
        <button type="submit" class="button" disabled={draft.trim() === ""}>
          Save
        </button>
        <button
          type="button"
          class="button button--secondary"
          onClick={() => setEditing(false)}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}

function AddMembers({ chatId }: { chatId: string }) {
  const [open, setOpen] = useState(false);
  const onFound = async (profile: PublicProfile) => {
    await addMembers(chatId, [profile.id]);
  };
  return (
    <section class="card">
      <button
        type="button"
        class="button button--secondary chat-info__add"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        Add members
      </button>
      {open && <PhoneLookup action="Add" onFound={onFound} autoFocus />}
    </section>
  );
}

function LeaveGroup({ chatId, name }: { chatId: string; name: string }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState("");
  const onLeave = async () => {
    setError("");
    try {
      await leaveChat(chatId);
      setConfirming(false);
    } catch (failure) {
      setError(errorMessage(failure));
    }
  };
  return (
    <>
      <button
        type="button"
        class="button button--danger chat-info__leave"
        onClick={() => setConfirming(true)}
      >
        Leave group
      </button>
      {confirming && (
        <Dialog title={`Leave “${name}”?`} onClose={() => setConfirming(false)}>
          <p>
            You will stop receiving its messages. Messages sent before you leave
            stay readable on your devices.
          </p>
          <p class="form-error" role="alert">
            {error}
          </p>
          <div class="dialog__actions">
            <button
              type="button"
              class="button button--secondary"
              autoFocus
              onClick={() => setConfirming(false)}
            >
              Cancel
            </button>
            <button
              type="button"
              class="button button--danger"
              onClick={() => void onLeave()}
            >
              Leave
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}
