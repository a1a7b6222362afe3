import type { SystemEvent } from "../../data/index.ts";
import { callEntryText, groupCallEntryText } from "../../data/call-text.ts";
import { isMe, PersonName } from "./names.tsx";

/** A list of names joined as "A, B and C". */
function NameList({ ids }: { ids: string[] }) {
  return (
    <>
      {ids.map((id, index) => (
        <span key={id}>
          {index > 0 && (index === ids.length - 1 ? " and " : ", ")}
          <PersonName id={id} />
        </span>
      ))}
    </>
  );
}

/**
 * The sentence of a membership change, such as "Ana added Ben", or the
 * text of a call entry, such as "Missed voice call".
 */
export function SystemText({ event }: { event: SystemEvent }) {
  if (event.event === "call") {
    return <>{callEntryText(event, isMe(event.callerId))}</>;
  }
  if (event.event === "group_call") return <>{groupCallEntryText(event)}</>;
  const actor = <PersonName id={event.actorId} subject />;
  switch (event.event) {
    case "created":
      return (
        <>
          {actor} created group “{event.name}”
        </>
      );
    case "added":
      return (
        <>
          {actor} added <NameList ids={event.targetIds} />
        </>
      );
    case "removed":
      return (
        <>
          {actor} removed <PersonName id={event.targetId} />
        </>
      );
    case "left":
    case "deleted":
      return <>{actor} left</>;
    case "renamed":
      return (
        <>
          {actor} changed the group name to “{event.name}”
        </>
      );
    case "promoted":
      return (
        <>
          {actor} made <PersonName id={event.targetId} /> an admin
        </>
      );
    case "demoted":
      return (
        <>
          {actor} dismissed <PersonName id={event.targetId} /> as admin
        </>
      );
  }
}
