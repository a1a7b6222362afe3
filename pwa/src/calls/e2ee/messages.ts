import { z } from "zod";

/**
 * Messages between a call and its frame-encryption worker (worker.ts).
 * The worker validates every request, because `postMessage` is an entry
 * point like any other.
 */

/** A KID as the SFrame header carries it, within JavaScript's safe range. */
const kid = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** A sender's base key of 32 bytes, derived from the MLS exporter. */
const secret = z.instanceof(ArrayBuffer).refine((buffer) => {
  return buffer.byteLength === 32;
}, "expected 32 bytes");
const options = z.object({
  side: z.enum(["send", "receive"]),
  kind: z.enum(["audio", "video"]),
});

/** Options of one transform: which direction and media kind it handles. */
export type TransformOptions = z.infer<typeof options>;

export const WorkerRequest = z.discriminatedUnion("type", [
  /** Encrypts outgoing frames under `kid` from now on. */
  z.object({ type: z.literal("send-key"), kid, secret }),
  /** Adds or replaces a key that incoming frames may name. */
  z.object({ type: z.literal("receive-key"), kid, secret }),
  /** Keeps a receive key for a grace time, then drops it. */
  z.object({ type: z.literal("retire-key"), kid }),
  /** Requests a `stats` reply. */
  z.object({ type: z.literal("stats") }),
  /**
   * The encoded streams of one sender or receiver, where the browser has
   * `createEncodedStreams` but no RTCRtpScriptTransform.
   */
  z.object({
    type: z.literal("streams"),
    readable: z.instanceof(ReadableStream),
    writable: z.instanceof(WritableStream),
    options,
  }),
]);
export type WorkerRequest = z.infer<typeof WorkerRequest>;

export const transformOptions = options;

/** Frame counters of the worker since it started. */
export interface FrameStats {
  encrypted: number;
  decrypted: number;
  /** Incoming frames dropped because they failed to decrypt. */
  failed: number;
  /** Incoming frames dropped because no key had their KID. */
  unknownKid: number;
  /** Outgoing frames dropped because no send key was set yet. */
  unsent: number;
  /** Keyframes requested from senders after frames were dropped. */
  keyframeRequests: number;
  /** Unknown KIDs seen since the last `stats` reply, newest last. */
  unknownKids: number[];
}

/** Replies of the worker. */
export type WorkerReply =
  ({ type: "stats" } & FrameStats) | { type: "error"; message: string };
