import { describe, expect, it } from "vitest";
import type {
  CallEvent,
  CallOutcome,
  GroupCallEvent,
} from "../../../protocol/index.ts";
import {
  callEntryText,
  formatCallDuration,
  groupCallEntryText,
  isMissedCall,
} from "../../../pwa/src/data/call-text.ts";
import { describeSystem } from "../../../pwa/src/data/rows.ts";

const CALLER = "01890000-0000-7000-8000-0000000000a1";
const CALLEE = "01890000-0000-7000-8000-0000000000b2";

function callEvent(
  outcome: CallOutcome,
  video = false,
  durationMs = 0,
): CallEvent {
  return {
    event: "call",
    callId: "01890000-0000-7000-8000-0000000000c3",
    callerId: CALLER,
    video,
    outcome,
    durationMs,
    startedAt: 1_700_000_000_000,
  };
}

describe("formatCallDuration", () => {
  it.each([
    [0, "0:00"],
    [4_999, "0:04"],
    [151_000, "2:31"],
    [3_599_000, "59:59"],
    [3_600_000, "1:00:00"],
    [3_723_000, "1:02:03"],
  ])("formats %s ms as %s", (durationMs, expected) => {
    expect(formatCallDuration(durationMs)).toBe(expected);
  });
});

describe("callEntryText", () => {
  it.each<[CallOutcome, boolean, string]>([
    ["completed", true, "Outgoing voice call · 2:31"],
    ["completed", false, "Incoming voice call · 2:31"],
    ["missed", true, "Outgoing voice call · No answer"],
    ["missed", false, "Missed voice call"],
    ["declined", true, "Outgoing voice call · Declined"],
    ["declined", false, "Incoming voice call · Declined"],
    ["busy", true, "Outgoing voice call · Busy"],
    ["busy", false, "Missed voice call"],
    ["cancelled", true, "Outgoing voice call · Cancelled"],
    ["cancelled", false, "Missed voice call"],
    ["failed", true, "Outgoing voice call · Failed"],
    ["failed", false, "Incoming voice call · Failed"],
  ])("words %s for outgoing=%s", (outcome, outgoing, expected) => {
    expect(callEntryText(callEvent(outcome, false, 151_000), outgoing)).toBe(
      expected,
    );
  });

  it("names a video call", () => {
    const event = callEvent("completed", true, 65_000);
    expect(callEntryText(event, true)).toBe("Outgoing video call · 1:05");
    expect(callEntryText(callEvent("missed", true), false)).toBe(
      "Missed video call",
    );
  });
});

describe("isMissedCall", () => {
  it("marks unanswered incoming calls as missed", () => {
    expect(isMissedCall(callEvent("missed"), false)).toBe(true);
    expect(isMissedCall(callEvent("cancelled"), false)).toBe(true);
    expect(isMissedCall(callEvent("busy"), false)).toBe(true);
  });

  it("never marks an outgoing or answered call", () => {
    expect(isMissedCall(callEvent("missed"), true)).toBe(false);
    expect(isMissedCall(callEvent("completed"), false)).toBe(false);
    expect(isMissedCall(callEvent("declined"), false)).toBe(false);
  });
});

describe("describeSystem for call entries", () => {
  const nameOf = () => "Ana";

  it("words the entry from the viewer's side", () => {
    const event = callEvent("missed");
    expect(describeSystem(event, nameOf, CALLER)).toBe(
      "Outgoing voice call · No answer",
    );
    expect(describeSystem(event, nameOf, CALLEE)).toBe("Missed voice call");
  });
});

describe("groupCallEntryText", () => {
  function groupEvent(video: boolean, people: number): GroupCallEvent {
    return {
      event: "group_call",
      callId: "01890000-0000-7000-8000-0000000000c4",
      startedBy: CALLER,
      video,
      startedAt: 1_700_000_000_000,
      durationMs: 751_000,
      participantIds: [
        CALLER,
        CALLEE,
        "01890000-0000-7000-8000-0000000000d5",
      ].slice(0, people),
    };
  }

  it("words kind, length and people", () => {
    expect(groupCallEntryText(groupEvent(true, 3))).toBe(
      "Video call · 12:31 · 3 people",
    );
    expect(groupCallEntryText(groupEvent(false, 1))).toBe(
      "Voice call · 12:31 · 1 person",
    );
  });

  it("is the chat list text of the entry", () => {
    expect(describeSystem(groupEvent(true, 2), () => "Ana", CALLEE)).toBe(
      "Video call · 12:31 · 2 people",
    );
  });
});
