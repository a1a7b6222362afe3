import type { CallEvent, GroupCallEvent } from "../../../protocol/index.ts";

/**
 * Wording of call entries, shared by the chat list, the chat and the calls
 * tab. Pure, so the first screen can word a chat's newest entry.
 */

/** Formats a call's length as "2:31", or "1:02:31" from an hour on. */
export function formatCallDuration(durationMs: number): string {
  const total = Math.floor(durationMs / 1000);
  const seconds = String(total % 60).padStart(2, "0");
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  if (hours === 0) return `${minutes}:${seconds}`;
  return `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`;
}

/**
 * Returns whether the entry is a call the viewer missed: an incoming call
 * that nobody accepted, that the caller cancelled while it rang, or that
 * found the viewer busy in another call.
 */
export function isMissedCall(event: CallEvent, outgoing: boolean): boolean {
  if (outgoing) return false;
  return (
    event.outcome === "missed" ||
    event.outcome === "cancelled" ||
    event.outcome === "busy"
  );
}

const OUTCOME_TEXT = {
  missed: "No answer",
  declined: "Declined",
  busy: "Busy",
  cancelled: "Cancelled",
  failed: "Failed",
} as const;

/**
 * Returns the text of a call entry as the viewer sees it, for example
 * "Missed voice call", "Outgoing video call · 2:31" or
 * "Outgoing voice call · Declined". `outgoing` is true when the viewer
 * made the call.
 */
export function callEntryText(event: CallEvent, outgoing: boolean): string {
  const kind = event.video ? "video call" : "voice call";
  if (isMissedCall(event, outgoing)) return `Missed ${kind}`;
  const direction = outgoing ? "Outgoing" : "Incoming";
  const detail =
    event.outcome === "completed"
      ? formatCallDuration(event.durationMs)
      : OUTCOME_TEXT[event.outcome];
  return `${direction} ${kind} · ${detail}`;
}

/**
 * Returns the text of a group call entry, for example
 * "Video call · 12:31 · 3 people".
 */
export function groupCallEntryText(event: GroupCallEvent): string {
  const kind = event.video ? "Video call" : "Voice call";
  const people = event.participantIds.length;
  const count = people === 1 ? "1 person" : `${people} people`;
  return `${kind} · ${formatCallDuration(event.durationMs)} · ${count}`;
}
