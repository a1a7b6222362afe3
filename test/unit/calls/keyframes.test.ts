import { describe, expect, it } from "vitest";
import {
  KEYFRAME_REQUEST_GAP_MS,
  KeyframeNeed,
} from "../../../pwa/src/calls/e2ee/keyframes.ts";

/** Creates a KeyframeNeed on a clock that the test moves. */
function needAt(start = 10_000) {
  const clock = { now: start };
  return { need: new KeyframeNeed(() => clock.now), clock };
}

describe("keyframe requests of a receiver", () => {
  it("requests until the first keyframe", () => {
    const { need, clock } = needAt();
    expect(need.passed(false)).toBe(true);
    clock.now += KEYFRAME_REQUEST_GAP_MS;
    expect(need.passed(false)).toBe(true);
    expect(need.passed(true)).toBe(false);
    clock.now += KEYFRAME_REQUEST_GAP_MS;
    expect(need.passed(false)).toBe(false);
  });

  it("requests at most once per gap", () => {
    const { need, clock } = needAt();
    expect(need.passed(false)).toBe(true);
    clock.now += KEYFRAME_REQUEST_GAP_MS - 1;
    expect(need.passed(false)).toBe(false);
    clock.now += 1;
    expect(need.passed(false)).toBe(true);
  });

  it("requests again after dropped frames", () => {
    const { need, clock } = needAt();
    expect(need.passed(true)).toBe(false);
    need.dropped();
    clock.now += KEYFRAME_REQUEST_GAP_MS;
    expect(need.passed(false)).toBe(true);
    expect(need.passed(true)).toBe(false);
    expect(need.passed(false)).toBe(false);
  });
});
