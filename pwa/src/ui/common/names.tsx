import {
  contactsByUser,
  nameText,
  resolveName,
  session,
  useProfile,
  type ChatRow,
  type ResolvedName,
} from "../../data/index.ts";
import { formatPhone } from "../format.ts";

/**
 * People's names as the app shows them: the viewer's saved contact name,
 * else the phone number with the person's own name in lighter text
 * ("+44 7700 900123 ~Ana"), the way WhatsApp names strangers.
 */

/** Returns whether `userId` is the signed-in person. */
export function isMe(userId: string): boolean {
  return session.value?.me.id === userId;
}

/** Resolves how to name `userId`, re-rendering when it changes. */
export function useResolvedName(userId: string): ResolvedName {
  const profile = useProfile(userId);
  const contact = contactsByUser.value.get(userId);
  return resolveName(userId, session.value?.me.id, contact, profile);
}

/**
 * Returns a person's name as one line of text, for labels and places that
 * take a string: "You" for the signed-in person (unless `you` is false,
 * which gives their own name), the contact name, or number and "~name".
 */
export function usePersonName(userId: string, you = true): string {
  const name = useResolvedName(userId);
  if (name.kind === "me" && !you) {
    return session.value?.me.displayName.trim() || "You";
  }
  return nameText(name, formatPhone);
}

/**
 * Returns the name to take initials from for a person's avatar: the
 * contact name, else their own name, else their number.
 */
export function useAvatarName(userId: string): string {
  return avatarNameOf(useResolvedName(userId));
}

function avatarNameOf(name: ResolvedName): string {
  switch (name.kind) {
    case "unknown":
      return name.profileName || name.phone;
    case "me":
      return session.value?.me.displayName ?? "";
    case "contact":
    case "deleted":
    case "loading":
      return nameText(name);
  }
}

/** Renders a resolved name, with an unknown person's own name lighter. */
export function NameView(props: { name: ResolvedName; subject?: boolean }) {
  const { name } = props;
  if (name.kind !== "unknown") {
    return <>{nameText(name, formatPhone, props.subject ? "You" : "you")}</>;
  }
  return (
    <>
      <span dir="ltr">{formatPhone(name.phone)}</span>
      {name.profileName !== "" && (
        <>
          {" "}
          <span class="person-name__profile" dir="auto">
            ~{name.profileName}
          </span>
        </>
      )}
    </>
  );
}

/** A person's name: "You" in the subject, "you" elsewhere. */
export function PersonName(props: { id: string; subject?: boolean }) {
  const name = useResolvedName(props.id);
  return <NameView name={name} subject={props.subject} />;
}

/**
 * Returns a chat's title as text: the group name, or the other person's
 * name as the chat row resolved it.
 */
export function chatTitle(chat: ChatRow | undefined): string {
  if (chat === undefined) return "";
  if (chat.peerName === null) return chat.title;
  return nameText(chat.peerName, formatPhone);
}

/** Renders a chat's title: the group name, or the other person's name. */
export function ChatTitle({ chat }: { chat: ChatRow }) {
  if (chat.peerName === null) return <>{chat.title}</>;
  return <NameView name={chat.peerName} subject />;
}

/**
 * Returns the name to take a chat avatar's initials from: the group name,
 * or the other person's contact name, own name or number.
 */
export function chatAvatarName(chat: ChatRow | undefined): string {
  const name = chat?.peerName;
  if (chat === undefined || name === null || name === undefined) {
    return chat?.title ?? "";
  }
  return avatarNameOf(name);
}
