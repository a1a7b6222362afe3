import { signal, type ReadonlySignal } from "@preact/signals";
import { fromBase64url, toBase64url } from "../crypto/encoding.ts";
import type { OutgoingFile } from "./index.ts";

/** Levels in a voice note's waveform at most (MediaItem.waveform). */
export const WAVEFORM_LEVELS = 64;
/** Interval between two level samples while recording, in milliseconds. */
const SAMPLE_MS = 50;
/** Loudness shown as silence, in dBFS (0 dBFS is full scale). */
const SILENCE_DB = -60;

/** Containers tried in turn. Some Safari versions record only MP4 (AAC). */
const MIME_TYPES = [
  "audio/webm;codecs=opus",
  "audio/ogg;codecs=opus",
  "audio/mp4",
];

/** A failure to record, with a message for the person. */
export class RecorderError extends Error {
  override name = "RecorderError";
}

/**
 * One voice note being recorded from the microphone. `elapsed` (seconds)
 * and `level` (0 to 1) update while it runs. `stop` returns the note and
 * `cancel` discards it. Either releases the microphone.
 */
export class VoiceRecorder {
  readonly #stream: MediaStream;
  readonly #recorder: MediaRecorder;
  readonly #audio: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #chunks: Blob[] = [];
  readonly #levels: number[] = [];
  readonly #started = performance.now();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #elapsed = signal(0);
  readonly #level = signal(0);
  #stopped = false;

  private constructor(stream: MediaStream) {
    this.#stream = stream;
    const mimeType = MIME_TYPES.find((type) =>
      MediaRecorder.isTypeSupported(type),
    );
    this.#recorder = new MediaRecorder(
      stream,
      mimeType === undefined ? {} : { mimeType },
    );
    this.#recorder.addEventListener("dataavailable", (event) => {
      if (event.data.size > 0) this.#chunks.push(event.data);
    });
    this.#audio = new AudioContext();
    this.#analyser = this.#audio.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#audio.createMediaStreamSource(stream).connect(this.#analyser);
    this.#recorder.start();
    this.#timer = setInterval(() => this.#sample(), SAMPLE_MS);
  }

  /** Asks for the microphone and starts recording. Raises RecorderError. */
  static async start(): Promise<VoiceRecorder> {
    if (
      navigator.mediaDevices === undefined ||
      typeof MediaRecorder === "undefined"
    ) {
      throw new RecorderError(
        "This browser cannot record voice messages. Try a current Chrome, " +
          "Firefox or Safari.",
      );
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      throw new RecorderError(microphoneFailure(error));
    }
    return new VoiceRecorder(stream);
  }

  /** Seconds recorded so far. */
  get elapsed(): ReadonlySignal<number> {
    return this.#elapsed;
  }

  /** Current loudness, from 0 (silence) to 1 (full scale). */
  get level(): ReadonlySignal<number> {
    return this.#level;
  }

  /** Ends the recording and returns it as a voice note to send. */
  async stop(): Promise<OutgoingFile> {
    const stopped = new Promise<void>((resolve) => {
      this.#recorder.addEventListener("stop", () => resolve(), { once: true });
    });
    const duration = (performance.now() - this.#started) / 1000;
    this.#release();
    await stopped;
    const mime = this.#recorder.mimeType;
    return {
      file: new Blob(this.#chunks, { type: mime }),
      name: "",
      mime,
      kind: "voice",
      caption: "",
      duration,
      waveform: encodeWaveform(this.#levels),
    };
  }

  /** Ends the recording and discards it. */
  cancel(): void {
    this.#release();
  }

  #release() {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    if (this.#recorder.state !== "inactive") this.#recorder.stop();
    for (const track of this.#stream.getTracks()) track.stop();
    void this.#audio.close().catch(() => {
      // The context was closed already, so the microphone is free.
    });
  }

  #sample() {
    const samples = new Float32Array(this.#analyser.fftSize);
    this.#analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const rms = Math.sqrt(sum / samples.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : SILENCE_DB;
    const level = Math.min(1, Math.max(0, (db - SILENCE_DB) / -SILENCE_DB));
    this.#levels.push(level);
    this.#level.value = level;
    this.#elapsed.value = (performance.now() - this.#started) / 1000;
  }
}

/** Returns the sentence for a failed getUserMedia call. */
function microphoneFailure(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return (
      "Microphone access is blocked. Allow the microphone for this site " +
      "in the browser's settings to record voice messages."
    );
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No microphone was found. Connect one to record voice messages.";
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return (
      "The microphone is in use by another app or could not be started. " +
      "Close that app and try again."
    );
  }
  return `The microphone could not be started (${String(error)}).`;
}

/**
 * Reduces `levels` (0 to 1) to at most WAVEFORM_LEVELS bytes, each the
 * loudest level of its span scaled to 0–255, in base64url.
 */
export function encodeWaveform(levels: number[]): string {
  const count = Math.min(WAVEFORM_LEVELS, levels.length);
  const bytes = new Uint8Array(count);
  for (let index = 0; index < count; index += 1) {
    const start = Math.floor((index * levels.length) / count);
    const end = Math.floor(((index + 1) * levels.length) / count);
    const loudest = Math.max(...levels.slice(start, Math.max(end, start + 1)));
    bytes[index] = Math.round(loudest * 255);
  }
  return toBase64url(bytes);
}

/** Returns the levels (0 to 1) of a waveform from encodeWaveform. */
export function decodeWaveform(waveform: string | undefined): number[] {
  if (waveform === undefined) return [];
  const bytes = fromBase64url(waveform) ?? new Uint8Array(0);
  return Array.from(bytes, (byte) => byte / 255);
}
