import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CALL_PING_MS } from "../../../protocol/index.ts";
import { startPings } from "../../../pwa/src/calls/pings.ts";

/** Returns a fake socket link that records when each ping went out. */
function fakeLink() {
  const link = {
    up: true,
    sentAt: [] as number[],
    isLinked: () => link.up,
    sendPing: () => {
      if (!link.up) return false;
      link.sentAt.push(Date.now());
      return true;
    },
  };
  return link;
}

describe("call pings", () => {
  let timer: ReturnType<typeof setInterval> | undefined;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    clearInterval(timer);
    vi.useRealTimers();
  });

  it("ping at once, then every period", () => {
    const link = fakeLink();

    timer = startPings(link);
    vi.advanceTimersByTime(2 * CALL_PING_MS);

    expect(link.sentAt).toEqual([0, CALL_PING_MS, 2 * CALL_PING_MS]);
  });

  it("ping as soon as the socket returns", () => {
    const link = fakeLink();
    timer = startPings(link);

    link.up = false;
    vi.advanceTimersByTime(21_000);
    link.up = true;
    vi.advanceTimersByTime(1_000);

    expect(link.sentAt).toEqual([0, 22_000]);
  });

  it("ping again after a short drop between periods", () => {
    const link = fakeLink();
    timer = startPings(link);

    // The socket dies 2 s after a ping and is back 1 s later, before the
    // next period: the ping of the old socket may be lost, so one goes
    // out on the new socket.
    vi.advanceTimersByTime(2_000);
    link.up = false;
    vi.advanceTimersByTime(1_000);
    link.up = true;
    vi.advanceTimersByTime(1_000);

    expect(link.sentAt).toEqual([0, 4_000]);
  });
});
