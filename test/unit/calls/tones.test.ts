import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CallInfo } from "../../../protocol/index.ts";
import {
  currentGroupCall,
  type GroupCallView,
} from "../../../pwa/src/calls/group/state.ts";
import { followCallTones, toneFor } from "../../../pwa/src/calls/ringing.ts";
import { currentCall, type CallView } from "../../../pwa/src/calls/state.ts";
import { TONE_PATTERNS, TonePlayer } from "../../../pwa/src/calls/tones.ts";

/**
 * An AudioParam stand-in that stores its value and ignores automation:
 * the tests read when oscillators start and stop, not the envelopes.
 */
class FakeParam {
  value = 1;
  setValueAtTime() {}
  linearRampToValueAtTime() {}
  cancelScheduledValues() {}
}

class FakeNode {
  connect() {}
  disconnect() {}
}

class FakeGain extends FakeNode {
  gain = new FakeParam();
}

/**
 * An OscillatorNode stand-in. As in the Web Audio API, the last `stop`
 * call sets when it ends, and one that ends before it starts never sounds.
 */
class FakeOscillator extends FakeNode {
  type = "sine";
  frequency = new FakeParam();
  startS: number | null = null;
  stopS: number | null = null;
  addEventListener() {}
  start(when: number) {
    this.startS = when;
  }
  stop(when: number) {
    if (this.startS === null) throw new Error("stop before start");
    this.stopS = when;
  }
  /** Returns whether it sounds at `timeS` on the audio clock. */
  soundsAt(timeS: number): boolean {
    const startS = this.startS ?? Infinity;
    const stopS = this.stopS ?? Infinity;
    return startS <= timeS && timeS < stopS;
  }
  /** Returns whether it sounds at `timeS` or later. */
  soundsFrom(timeS: number): boolean {
    const startS = this.startS ?? Infinity;
    const stopS = this.stopS ?? Infinity;
    return startS < stopS && stopS > timeS;
  }
}

class FakeContext {
  currentTime = 0;
  state: AudioContextState = "running";
  /** The state that `resume()` moves to. With "suspended" it never settles. */
  resumesTo: AudioContextState = "running";
  destination = new FakeNode();
  oscillators: FakeOscillator[] = [];
  resume(): Promise<void> {
    if (this.resumesTo === "suspended") return new Promise(() => {});
    this.state = this.resumesTo;
    return Promise.resolve();
  }
  createGain() {
    return new FakeGain();
  }
  createOscillator() {
    const oscillator = new FakeOscillator();
    this.oscillators.push(oscillator);
    return oscillator;
  }
  /** Frequencies of the oscillators that sound at the current time. */
  soundingFrequencies(): number[] {
    return this.oscillators
      .filter((oscillator) => oscillator.soundsAt(this.currentTime))
      .map((oscillator) => oscillator.frequency.value);
  }
  /** Oscillators that sound now or are scheduled to sound later. */
  pending(): FakeOscillator[] {
    return this.oscillators.filter((oscillator) =>
      oscillator.soundsFrom(this.currentTime),
    );
  }
}

let context: FakeContext;
let player: TonePlayer;

/**
 * Moves the fake timers and the audio clock on by `seconds`, after letting
 * a pending `play` schedule its first cycle.
 */
async function advance(seconds: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
  context.currentTime += seconds;
  await vi.advanceTimersByTimeAsync(seconds * 1000);
}

beforeEach(() => {
  vi.useFakeTimers();
  context = new FakeContext();
  player = new TonePlayer(() => context as unknown as AudioContext);
});

afterEach(() => {
  player.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("TonePlayer", () => {
  it("plays the ringtone's chimes", async () => {
    await player.play("ringtone");
    expect(player.tone).toBe("ringtone");
    await advance(0.1);
    expect(context.soundingFrequencies().sort()).toEqual([660, 880]);
    await advance(0.5);
    expect(context.soundingFrequencies()).toEqual([]);
  });

  it("repeats the ringback every period", async () => {
    await player.play("ringback");
    const periodS = TONE_PATTERNS.ringback.periodS;
    for (let cycle = 0; cycle < 4; cycle += 1) {
      await advance(cycle === 0 ? 1 : periodS);
      expect(context.soundingFrequencies().sort()).toEqual([440, 480]);
    }
    // Silent between the 2 s bursts, with the next one already scheduled.
    await advance(2.5);
    expect(context.soundingFrequencies()).toEqual([]);
    expect(context.pending().length).toBeGreaterThan(0);
  });

  it("stop silences every scheduled burst", async () => {
    await player.play("ringtone");
    await advance(0.1);
    player.stop();
    expect(player.tone).toBeNull();
    await advance(0.05);
    expect(context.pending()).toEqual([]);
    const startedCount = context.oscillators.length;
    await advance(10);
    expect(context.oscillators.length).toBe(startedCount);
    expect(context.soundingFrequencies()).toEqual([]);
  });

  it("stop twice changes nothing", async () => {
    await player.play("ringback");
    await advance(0.5);
    player.stop();
    const stops = context.oscillators.map((oscillator) => oscillator.stopS);
    player.stop();
    expect(context.oscillators.map((oscillator) => oscillator.stopS)).toEqual(
      stops,
    );
    expect(player.tone).toBeNull();
  });

  it("stop without a tone does nothing", () => {
    player.stop();
    expect(player.tone).toBeNull();
    expect(context.oscillators).toEqual([]);
  });

  it("playing the same tone keeps its cycle", async () => {
    await player.play("ringtone");
    const startedCount = context.oscillators.length;
    await player.play("ringtone");
    expect(context.oscillators.length).toBe(startedCount);
    expect(context.pending().length).toBe(startedCount);
  });

  it("switching tones stops the old one", async () => {
    await player.play("ringtone");
    await advance(0.1);
    await player.play("ringback");
    await advance(0.1);
    expect(context.soundingFrequencies().sort()).toEqual([440, 480]);
    const frequencies = context
      .pending()
      .map((oscillator) => oscillator.frequency.value);
    expect(frequencies).not.toContain(660);
    expect(frequencies).not.toContain(880);
  });

  it("stop during a pending resume stays silent", async () => {
    context.state = "suspended";
    const playing = player.play("ringtone");
    player.stop();
    await vi.advanceTimersByTimeAsync(1_000);
    await playing;
    expect(context.oscillators).toEqual([]);
  });

  it("resumes a suspended context", async () => {
    context.state = "suspended";
    await player.play("ringtone");
    await advance(0.1);
    expect(context.soundingFrequencies().sort()).toEqual([660, 880]);
  });

  it("stays silent when autoplay blocks", async () => {
    const info = vi.spyOn(console, "info").mockImplementation(() => {});
    context.state = "suspended";
    context.resumesTo = "suspended";
    const first = player.play("ringtone");
    await vi.advanceTimersByTimeAsync(1_000);
    await first;
    player.stop();
    const second = player.play("ringback");
    await vi.advanceTimersByTimeAsync(1_000);
    await second;
    expect(context.oscillators).toEqual([]);
    const lines = info.mock.calls.map(([line]) => String(line));
    expect(lines.filter((line) => line.includes("call_tone_blocked"))).toEqual([
      JSON.stringify({ event: "call_tone_blocked", state: "suspended" }),
    ]);
  });

  it("stays silent without Web Audio", async () => {
    const silent = new TonePlayer(() => null);
    await silent.play("ringtone");
    expect(silent.tone).toBe("ringtone");
    silent.stop();
    expect(silent.tone).toBeNull();
  });
});

const INFO: CallInfo = {
  callId: "call-1",
  chatId: "d_1",
  callerId: "u-ana",
  callerDeviceId: "d-ana",
  calleeId: "u-ben",
  video: false,
  startedAt: 1,
};

function callView(patch: Partial<CallView>): CallView {
  return {
    info: INFO,
    outgoing: false,
    peerId: "u-ana",
    phase: "incoming",
    progress: "calling",
    acceptedAt: null,
    localStream: null,
    remoteStream: null,
    securityCode: null,
    waitingForKeys: false,
    muted: false,
    cameraOn: false,
    remoteAudio: true,
    remoteVideo: false,
    cameraCount: 0,
    speakers: [],
    speakerId: "",
    quality: "good",
    reconnecting: false,
    mediaProblem: null,
    endText: null,
    ...patch,
  };
}

describe("toneFor", () => {
  const cases: [string, Partial<CallView>, string | null][] = [
    ["incoming rings", { phase: "incoming" }, "ringtone"],
    ["accepted incoming", { phase: "connecting" }, null],
    [
      "outgoing before ringing",
      { outgoing: true, phase: "outgoing", progress: "calling" },
      null,
    ],
    [
      "outgoing ringing",
      { outgoing: true, phase: "outgoing", progress: "ringing" },
      "ringback",
    ],
    ["outgoing accepted", { outgoing: true, phase: "connecting" }, null],
    ["active call", { phase: "active" }, null],
    ["ended call", { phase: "ended", endText: "Declined" }, null],
  ];
  for (const [name, patch, tone] of cases) {
    it(name, () => {
      expect(toneFor(callView(patch), null)).toBe(tone);
    });
  }

  it("no call is silent", () => {
    expect(toneFor(null, null)).toBeNull();
  });

  it("group ring after an ended call", () => {
    const ended = callView({ phase: "ended", endText: "Call ended 00:05" });
    const group = { phase: "ringing" } as GroupCallView;
    expect(toneFor(ended, group)).toBe("ringtone");
  });
});

describe("followCallTones", () => {
  afterEach(() => {
    currentCall.value = null;
    currentGroupCall.value = null;
  });

  it("ringback stops on accept", async () => {
    const stop = followCallTones(player);
    currentCall.value = callView({ outgoing: true, phase: "outgoing" });
    expect(player.tone).toBeNull();
    currentCall.value = callView({
      outgoing: true,
      phase: "outgoing",
      progress: "ringing",
    });
    expect(player.tone).toBe("ringback");
    await advance(0.5);
    expect(context.soundingFrequencies().sort()).toEqual([440, 480]);

    currentCall.value = callView({ outgoing: true, phase: "connecting" });
    expect(player.tone).toBeNull();
    await advance(0.05);
    expect(context.pending()).toEqual([]);
    stop();
  });

  it("group ring stops when dropped", async () => {
    const stop = followCallTones(player);
    currentGroupCall.value = { phase: "ringing" } as GroupCallView;
    expect(player.tone).toBe("ringtone");
    await advance(0.1);
    expect(context.soundingFrequencies().sort()).toEqual([660, 880]);

    // Accepted on another device, so the ring is dropped.
    currentGroupCall.value = null;
    expect(player.tone).toBeNull();
    await advance(0.05);
    expect(context.pending()).toEqual([]);
    stop();
  });

  it("dispose stops the tone", async () => {
    const stop = followCallTones(player);
    currentCall.value = callView({ phase: "incoming" });
    await advance(0.1);
    stop();
    await advance(0.05);
    expect(context.pending()).toEqual([]);
    currentCall.value = callView({ phase: "incoming", endText: "x" });
    expect(player.tone).toBeNull();
  });
});
