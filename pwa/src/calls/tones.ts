import { log } from "../data/log.ts";

/**
 * The ringtone of an incoming call and the ringback tone of an outgoing
 * one, synthesised with the Web Audio API (oscillators under gain
 * envelopes), so no audio file is downloaded or precached.
 */

export type Tone = "ringtone" | "ringback";

/** One burst of sine tones within a cycle, with times in seconds. */
interface Burst {
  startS: number;
  lengthS: number;
  /** Frequencies mixed in the burst, in Hz. */
  frequencies: number[];
}

/** A tone's cycle of bursts, repeated every `periodS` seconds. */
interface TonePattern {
  bursts: Burst[];
  periodS: number;
  /** Peak gain of a burst, from 0 to 1. */
  level: number;
}

export const TONE_PATTERNS: Record<Tone, TonePattern> = {
  // The North American ringback: 440 Hz + 480 Hz, 2 s on, 4 s off, which
  // is also the default of SIP phones such as Panasonic's KX-TGP500.
  ringback: {
    bursts: [{ startS: 0, lengthS: 2, frequencies: [440, 480] }],
    periodS: 6,
    level: 0.15,
  },
  // Two short chimes every 3 s, louder than the ringback because it has to
  // be heard across a room.
  ringtone: {
    bursts: [
      { startS: 0, lengthS: 0.4, frequencies: [660, 880] },
      { startS: 0.6, lengthS: 0.4, frequencies: [660, 880] },
    ],
    periodS: 3,
    level: 0.3,
  },
};

/** Attack and release of each burst's envelope, in seconds. */
const RAMP_S = 0.02;

/** Delay from `play` to the first burst, so its start is not in the past. */
const START_DELAY_S = 0.05;

/** How often the next cycles are scheduled, in ms. */
const SCHEDULE_INTERVAL_MS = 500;

/** How long `resume()` of a suspended AudioContext may take, in ms. */
const RESUME_TIMEOUT_MS = 500;

/**
 * Plays at most one tone at a time in a loop. Each cycle is scheduled on
 * the audio clock one period ahead, so a running tone always has a burst
 * sounding or scheduled, and `stop` silences it within RAMP_S.
 */
export class TonePlayer {
  private context: AudioContext | null = null;
  private current: Tone | null = null;
  /** Changed by every `play` and `stop`, so a pending start can see it lost. */
  private generation = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private output: GainNode | null = null;
  private readonly oscillators = new Set<OscillatorNode>();
  private blockedLogged = false;

  /**
   * `createContext` returns a new AudioContext, or null where the browser
   * has no Web Audio API.
   */
  constructor(private readonly createContext: () => AudioContext | null) {}

  /** The tone that should be playing, or null. */
  get tone(): Tone | null {
    return this.current;
  }

  /**
   * Plays `tone` in a loop in place of the current one, or stops every
   * tone when `tone` is null. Stays silent, with one log line per player,
   * when the browser's autoplay policy keeps the AudioContext suspended.
   */
  async play(tone: Tone | null): Promise<void> {
    if (tone === this.current) return;
    this.stop();
    if (tone === null) return;
    this.current = tone;
    const generation = this.generation;
    const context = await this.runningContext();
    if (context === null || generation !== this.generation) return;

    const output = context.createGain();
    output.connect(context.destination);
    this.output = output;
    const pattern = TONE_PATTERNS[tone];
    let nextCycleS = context.currentTime + START_DELAY_S;
    const scheduleAhead = () => {
      while (nextCycleS <= context.currentTime + pattern.periodS) {
        this.scheduleCycle(context, output, pattern, nextCycleS);
        nextCycleS += pattern.periodS;
      }
    };
    scheduleAhead();
    this.timer = setInterval(scheduleAhead, SCHEDULE_INTERVAL_MS);
  }

  /** Stops the current tone within RAMP_S. Does nothing when none plays. */
  stop(): void {
    this.generation += 1;
    this.current = null;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const context = this.context;
    const output = this.output;
    this.output = null;
    if (context === null || output === null) return;

    const endS = context.currentTime + RAMP_S;
    output.gain.cancelScheduledValues(context.currentTime);
    output.gain.setValueAtTime(output.gain.value, context.currentTime);
    output.gain.linearRampToValueAtTime(0, endS);
    // Bursts scheduled later than endS never start.
    for (const oscillator of this.oscillators) oscillator.stop(endS);
    this.oscillators.clear();
    setTimeout(() => output.disconnect(), RAMP_S * 1000 + 100);
  }

  private scheduleCycle(
    context: AudioContext,
    output: GainNode,
    pattern: TonePattern,
    cycleS: number,
  ): void {
    for (const burst of pattern.bursts) {
      const startS = cycleS + burst.startS;
      const endS = startS + burst.lengthS;
      const envelope = context.createGain();
      envelope.gain.setValueAtTime(0, startS);
      envelope.gain.linearRampToValueAtTime(pattern.level, startS + RAMP_S);
      envelope.gain.setValueAtTime(pattern.level, endS - RAMP_S);
      envelope.gain.linearRampToValueAtTime(0, endS);
      envelope.connect(output);
      for (const frequency of burst.frequencies) {
        const oscillator = context.createOscillator();
        oscillator.type = "sine";
        oscillator.frequency.value = frequency;
        // Mixed tones share the level, so a chord is no louder than one.
        const share = context.createGain();
        share.gain.value = 1 / burst.frequencies.length;
        oscillator.connect(share);
        share.connect(envelope);
        oscillator.addEventListener("ended", () => {
          this.oscillators.delete(oscillator);
          oscillator.disconnect();
          share.disconnect();
        });
        oscillator.start(startS);
        oscillator.stop(endS);
        this.oscillators.add(oscillator);
      }
    }
  }

  /**
   * Returns the AudioContext once it runs, or null. Under a browser's
   * autoplay policy, a context made before any user gesture on the page
   * starts suspended, and `resume()` may not settle until a gesture, so
   * the wait is capped at RESUME_TIMEOUT_MS.
   */
  private async runningContext(): Promise<AudioContext | null> {
    this.context ??= this.createContext();
    const context = this.context;
    if (context === null) return null;
    if (context.state === "running") return context;
    let timeout: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      context.resume().catch((error: unknown) => {
        log("call_tone_resume_failed", { error: String(error) });
      }),
      new Promise((resolve) => {
        timeout = setTimeout(resolve, RESUME_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timeout);
    // `state` changes on resume, which TypeScript does not know.
    if ((context.state as AudioContextState) === "running") return context;
    if (!this.blockedLogged) {
      this.blockedLogged = true;
      log("call_tone_blocked", { state: context.state });
    }
    return null;
  }
}

/** Creates the page's AudioContext, or returns null without Web Audio. */
export function createAudioContext(): AudioContext | null {
  return typeof AudioContext === "function" ? new AudioContext() : null;
}
