import { describe, expect, it } from "vitest";
import { describeMediaError } from "../../../pwa/src/calls/media.ts";
import { endTextOf, formatTimer } from "../../../pwa/src/calls/active.ts";

function domError(name: string): DOMException {
  return new DOMException("test", name);
}

describe("describeMediaError", () => {
  it("tells how to allow a blocked microphone", () => {
    const text = describeMediaError(domError("NotAllowedError"), "microphone");
    expect(text).toContain("Microphone access is blocked");
    expect(text).toContain("browser's settings");
  });

  it("says that no camera was found", () => {
    const text = describeMediaError(domError("NotFoundError"), "camera");
    expect(text).toBe("No camera was found. Connect one, then try again.");
  });

  it("names a device in use by another app", () => {
    const text = describeMediaError(domError("NotReadableError"), "camera");
    expect(text).toContain("The camera could not start");
    expect(text).toContain("other apps");
  });

  it("names an unexpected error", () => {
    const text = describeMediaError(new TypeError("bad"), "microphone");
    expect(text).toBe("The microphone could not start (TypeError).");
  });
});

describe("formatTimer", () => {
  it.each([
    [0, "00:00"],
    [151_000, "02:31"],
    [3_723_000, "1:02:03"],
    [-5_000, "00:00"],
  ])("formats %s ms as %s", (durationMs, expected) => {
    expect(formatTimer(durationMs)).toBe(expected);
  });
});

describe("endTextOf", () => {
  it("shows the length of a completed call", () => {
    expect(endTextOf("hangup", "completed", 151_000, true)).toBe(
      "Call ended 02:31",
    );
  });

  it.each([
    ["declined", "declined", "Declined"],
    ["busy", "busy", "Busy"],
    ["missed", "missed", "No answer"],
    ["lost", "completed", "Connection lost"],
    ["failed", "failed", "Call failed"],
  ] as const)("tells the caller %s", (reason, outcome, expected) => {
    expect(endTextOf(reason, outcome, 0, true)).toBe(expected);
  });

  it("closes a ringing screen at once", () => {
    expect(endTextOf("answered_elsewhere", "completed", 0, false)).toBeNull();
    expect(endTextOf("cancelled", "cancelled", 0, false)).toBeNull();
    expect(endTextOf("missed", "missed", 0, false)).toBeNull();
  });
});
