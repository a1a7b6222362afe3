import { clearByteCount } from "./clear-bytes.ts";
import { SframeReceiver, SframeSender } from "./context.ts";
import { KeyframeNeed } from "./keyframes.ts";
import {
  transformOptions,
  WorkerRequest,
  type FrameStats,
  type TransformOptions,
  type WorkerReply,
} from "./messages.ts";

/**
 * The frame-encryption worker of a call. RTCRtpScriptTransform runs every
 * sender's and receiver's frames through it (`rtctransform` events), or,
 * in browsers with only `createEncodedStreams`, the call posts the
 * encoded streams here. One worker serves all transforms of a call, so
 * they share one send key and one set of receive keys.
 *
 * An outgoing frame without a send key and an incoming frame that does
 * not decrypt are dropped and counted, never passed on.
 */

/** An encoded audio or video frame, as both APIs deliver it. */
interface EncodedFrame {
  data: ArrayBuffer;
  /** "key" or "delta" for video; absent for audio. */
  type?: string;
  getMetadata(): { mimeType?: string };
}

interface RtcTransformer {
  readable: ReadableStream<EncodedFrame>;
  writable: WritableStream<EncodedFrame>;
  options: unknown;
  /** Sends a PLI to the sender; receivers only, absent in older browsers. */
  sendKeyFrameRequest?(): Promise<void>;
}

interface WorkerScope {
  onrtctransform: ((event: { transformer: RtcTransformer }) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: WorkerReply): void;
}

const scope = self as unknown as WorkerScope;
/**
 * A group call participant that reloads rejoins with the same keys, in a
 * new worker, so counters cannot restart at 0. A KID's first CTR is the
 * time in µs instead, so a later worker starts above every CTR of an
 * earlier one unless that one sent more frames than µs passed between the
 * two starts.
 *
 * NOTE: a system clock set back during a call could make a later worker
 * reuse CTRs of an earlier one under the same key.
 */
const sender = new SframeSender(() => Date.now() * 1000);
const receiver = new SframeReceiver();
/** Unknown KIDs kept between two `stats` requests. */
const MAX_UNKNOWN_KIDS = 16;
const stats: FrameStats = {
  encrypted: 0,
  decrypted: 0,
  failed: 0,
  unknownKid: 0,
  unsent: 0,
  keyframeRequests: 0,
  unknownKids: [],
};

function noteUnknownKid(kid: number): void {
  stats.unknownKid++;
  if (stats.unknownKids.includes(kid)) return;
  stats.unknownKids.push(kid);
  if (stats.unknownKids.length > MAX_UNKNOWN_KIDS) stats.unknownKids.shift();
}

function clearLengthOf(frame: EncodedFrame, options: TransformOptions) {
  return clearByteCount(
    options.kind,
    frame.getMetadata().mimeType,
    frame.type === "key",
  );
}

async function encrypt(
  frame: EncodedFrame,
  options: TransformOptions,
): Promise<boolean> {
  const data = new Uint8Array(frame.data);
  const sealed = await sender.encrypt(data, clearLengthOf(frame, options));
  if (sealed === null) {
    stats.unsent++;
    return false;
  }
  frame.data = sealed.slice().buffer;
  stats.encrypted++;
  return true;
}

async function decrypt(
  frame: EncodedFrame,
  options: TransformOptions,
): Promise<boolean> {
  const data = new Uint8Array(frame.data);
  const result = await receiver.decrypt(data, clearLengthOf(frame, options));
  switch (result.kind) {
    case "ok":
      frame.data = result.data.slice().buffer;
      stats.decrypted++;
      return true;
    case "unknown_kid":
      noteUnknownKid(result.kid);
      return false;
    case "failed":
      stats.failed++;
      return false;
  }
}

/**
 * Wraps `decrypt` for a video receiver that can request keyframes, so
 * that its picture recovers once keys arrive (keyframes.ts).
 */
function decryptRequestingKeyframes(
  requestKeyframe: () => Promise<void>,
): typeof decrypt {
  const need = new KeyframeNeed();
  return async (frame, options) => {
    if (!(await decrypt(frame, options))) {
      need.dropped();
      return false;
    }
    if (need.passed(frame.type === "key")) {
      stats.keyframeRequests++;
      requestKeyframe().catch((error: unknown) => {
        scope.postMessage({
          type: "error",
          message: `Keyframe request failed: ${String(error)}`,
        });
      });
    }
    return true;
  };
}

function frameTransform(
  options: TransformOptions,
  requestKeyframe: (() => Promise<void>) | undefined,
): TransformStream<EncodedFrame, EncodedFrame> {
  let apply = options.side === "send" ? encrypt : decrypt;
  if (
    options.side === "receive" &&
    options.kind === "video" &&
    requestKeyframe !== undefined
  ) {
    apply = decryptRequestingKeyframes(requestKeyframe);
  }
  return new TransformStream({
    async transform(frame, controller) {
      if (await apply(frame, options)) controller.enqueue(frame);
    },
  });
}

function pipe(
  readable: ReadableStream<EncodedFrame>,
  writable: WritableStream<EncodedFrame>,
  options: TransformOptions,
  requestKeyframe?: () => Promise<void>,
): void {
  readable
    .pipeThrough(frameTransform(options, requestKeyframe))
    .pipeTo(writable)
    .catch((error: unknown) => {
      scope.postMessage({
        type: "error",
        message: `The ${options.side} ${options.kind} transform stopped: ${String(error)}`,
      });
    });
}

scope.onrtctransform = ({ transformer }) => {
  const parsed = transformOptions.safeParse(transformer.options);
  if (!parsed.success) {
    scope.postMessage({
      type: "error",
      message: `Invalid transform options: ${parsed.error.message}`,
    });
    return;
  }
  const request = transformer.sendKeyFrameRequest?.bind(transformer);
  pipe(transformer.readable, transformer.writable, parsed.data, request);
};

async function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case "send-key":
      await sender.setKey(request.kid, new Uint8Array(request.secret));
      return;
    case "receive-key":
      await receiver.addKey(request.kid, new Uint8Array(request.secret));
      return;
    case "retire-key":
      receiver.retireKey(request.kid);
      return;
    case "stats":
      scope.postMessage({ type: "stats", ...stats });
      stats.unknownKids = [];
      return;
    case "streams":
      pipe(
        request.readable as ReadableStream<EncodedFrame>,
        request.writable,
        request.options,
      );
      return;
  }
}

/** Requests apply one at a time, so a key is set before later frames. */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const parsed = WorkerRequest.safeParse(event.data);
  if (!parsed.success) {
    scope.postMessage({
      type: "error",
      message: `Invalid request: ${parsed.error.message}`,
    });
    return;
  }
  queue = queue
    .then(() => handle(parsed.data))
    .catch((error: unknown) => {
      scope.postMessage({ type: "error", message: String(error) });
    });
};
