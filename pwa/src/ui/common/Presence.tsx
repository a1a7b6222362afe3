import type { ComponentChildren } from "preact";
import { usePresence, useTyping, type TypingEntry } from "../../data/index.ts";
import { formatLastSeen } from "../format.ts";
import { PersonName } from "./names.tsx";

/**
 * Presence and typing text: the subtitle of a chat header and the typing
 * line of a chat list row.
 */

/** Returns "typing…" or "recording audio…" for one person. */
function soloText(entry: TypingEntry): string {
  return entry.state === "recording" ? "recording audio…" : "typing…";
}

/**
 * Renders who is typing in a group: "Ana is typing…", "Ana and Ben are
 * typing…", "3 people are typing…".
 */
export function GroupTyping({ entries }: { entries: TypingEntry[] }) {
  const [first, second] = entries;
  if (first === undefined) return null;
  const recording = entries.every((entry) => entry.state === "recording");
  const verb = recording ? "recording audio…" : "typing…";
  if (second === undefined) {
    return (
      <>
        <PersonName id={first.userId} subject /> is {verb}
      </>
    );
  }
  if (entries.length === 2) {
    return (
      <>
        <PersonName id={first.userId} subject /> and{" "}
        <PersonName id={second.userId} /> are {verb}
      </>
    );
  }
  return (
    <>
      {entries.length} people are {verb}
    </>
  );
}

/**
 * Returns the status of the other person of a one-to-one chat: typing,
 * online or last seen, or null while unknown or hidden by privacy.
 */
export function usePeerStatus(chatId: string, peerId: string | null) {
  const typing = useTyping(chatId).find((entry) => entry.userId === peerId);
  const presence = usePresence(peerId);
  if (typing !== undefined) return soloText(typing);
  if (presence === undefined) return null;
  if (presence.online) return "online";
  if (presence.lastSeen !== null) return formatLastSeen(presence.lastSeen);
  return null;
}

/** The typing line of a chat list row, or `children` when nobody types. */
export function ListTyping(props: {
  chatId: string;
  group: boolean;
  children: ComponentChildren;
}) {
  const entries = useTyping(props.chatId);
  const first = entries[0];
  if (first === undefined) return <>{props.children}</>;
  return (
    <span class="chat-row__typing">
      {props.group ? <GroupTyping entries={entries} /> : soloText(first)}
    </span>
  );
}
