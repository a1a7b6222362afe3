import { contacts, session, useProfile } from "../../data/index.ts";
import { formatPhone } from "../format.ts";

/** Returns whether `userId` is the signed-in person. */
export function isMe(userId: string): boolean {
  return session.value?.me.id === userId;
}

/**
 * Returns a person's name: the name saved in contacts, else their display
 * name, else their phone number, or "You" for the signed-in person when
 * `you` is set.
 */
export function usePersonName(userId: string, you = true): string {
  const profile = useProfile(userId);
  const saved = contacts.value.get(userId)?.name;
  if (you && isMe(userId)) return "You";
  if (saved !== undefined) return saved;
  if (profile === undefined) return "…";
  const name = profile.displayName.trim();
  return name === "" ? formatPhone(profile.phone) : name;
}

/** A person's name as text: "You" in the subject, "you" elsewhere. */
export function PersonName(props: { id: string; subject?: boolean }) {
  const name = usePersonName(props.id);
  if (name === "You" && isMe(props.id) && props.subject !== true)
    return <>you</>;
  return <>{name}</>;
}

/** Returns a chat's title, or the saved contact name of a direct chat. */
export function chatTitle(chat: { peerId: string | null; title: string }) {
  if (chat.peerId === null) return chat.title;
  return contacts.value.get(chat.peerId)?.name ?? chat.title;
}
