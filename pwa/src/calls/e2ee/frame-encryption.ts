import { log } from "../../data/log.ts";
import type {
  FrameStats,
  TransformOptions,
  WorkerReply,
  WorkerRequest,
} from "./messages.ts";

/**
 * The main-thread side of frame encryption: starts the worker, attaches
 * it to every RTCRtpSender and RTCRtpReceiver of a call, and passes keys
 * to it. A browser with neither RTCRtpScriptTransform nor
 * `createEncodedStreams` cannot encrypt calls, and `FrameEncryption.start`
 * raises EncryptionUnsupported there rather than let media go out in clear.
 */

/** The browser API that runs encoded frames through a worker. */
export type TransformApi = "script-transform" | "encoded-streams";

/** Raised where the browser cannot encrypt call media. */
export class EncryptionUnsupported extends Error {
  constructor() {
    super(
      "This browser cannot encrypt calls end to end, so the call was not started. Use a current Chrome, Edge, Firefox or Safari.",
    );
    this.name = "EncryptionUnsupported";
  }
}

/** Chromium's pre-standard API, present where `encodedInsertableStreams` is. */
interface EncodedStreamsEndpoint {
  createEncodedStreams(): {
    readable: ReadableStream;
    writable: WritableStream;
  };
}

/** Returns the transform API of this browser, or null without one. */
export function transformApi(): TransformApi | null {
  if (typeof RTCRtpScriptTransform === "function") return "script-transform";
  if (
    typeof RTCRtpSender === "function" &&
    "createEncodedStreams" in RTCRtpSender.prototype
  ) {
    return "encoded-streams";
  }
  return null;
}

/**
 * Returns the RTCPeerConnection settings that frame encryption needs:
 * `createEncodedStreams` works only on a connection made with
 * `encodedInsertableStreams`.
 */
export function peerConfig(api: TransformApi): RTCConfiguration {
  return api === "encoded-streams"
    ? ({ encodedInsertableStreams: true } as RTCConfiguration)
    : {};
}

/** How long a `stats` request may wait for the worker, in ms. */
const STATS_TIMEOUT_MS = 2_000;

export class FrameEncryption {
  private readonly worker: Worker;
  private readonly attached = new WeakSet<RTCRtpSender | RTCRtpReceiver>();
  private statsWaiters: ((stats: FrameStats) => void)[] = [];

  private constructor(readonly api: TransformApi) {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: "call-encryption",
    });
    this.worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.type === "error") {
        log("call_encryption_worker_error", { error: reply.message });
        return;
      }
      const { type: _type, ...stats } = reply;
      for (const resolve of this.statsWaiters.splice(0)) resolve(stats);
    };
    this.worker.onerror = (event) => {
      log("call_encryption_worker_failed", { error: event.message });
    };
  }

  /** Starts a worker; raises EncryptionUnsupported without a transform API. */
  static start(): FrameEncryption {
    const api = transformApi();
    if (api === null) throw new EncryptionUnsupported();
    return new FrameEncryption(api);
  }

  /** Returns the settings a call's RTCPeerConnection must be made with. */
  get peerConfig(): RTCConfiguration {
    return peerConfig(this.api);
  }

  private post(request: WorkerRequest, transfer: Transferable[] = []): void {
    this.worker.postMessage(request, transfer);
  }

  /** Encrypts what `sender` sends; a second call for it does nothing. */
  attachSender(sender: RTCRtpSender, kind: TransformOptions["kind"]): void {
    this.attach(sender, { side: "send", kind });
  }

  /** Decrypts what `receiver` receives; a second call does nothing. */
  attachReceiver(receiver: RTCRtpReceiver): void {
    const kind = receiver.track.kind === "audio" ? "audio" : "video";
    this.attach(receiver, { side: "receive", kind });
  }

  private attach(
    endpoint: RTCRtpSender | RTCRtpReceiver,
    options: TransformOptions,
  ): void {
    if (this.attached.has(endpoint)) return;
    this.attached.add(endpoint);
    if (this.api === "script-transform") {
      endpoint.transform = new RTCRtpScriptTransform(this.worker, options);
      return;
    }
    // Chromium 156, which the browser tests run, has both APIs, so
    // encoded-streams-calls.spec.ts deletes RTCRtpScriptTransform to run
    // this fallback path.
    const streams = (
      endpoint as unknown as EncodedStreamsEndpoint
    ).createEncodedStreams();
    this.post({ type: "streams", ...streams, options }, [
      streams.readable,
      streams.writable,
    ]);
  }

  /** Encrypts outgoing frames with the key of `kid` from now on. */
  setSendKey(kid: number, secret: Uint8Array): void {
    this.post({ type: "send-key", kid, secret: copy(secret) });
  }

  /** Lets incoming frames under `kid` decrypt. */
  addReceiveKey(kid: number, secret: Uint8Array): void {
    this.post({ type: "receive-key", kid, secret: copy(secret) });
  }

  /** Drops the receive key of `kid` after a grace time. */
  retireReceiveKey(kid: number): void {
    this.post({ type: "retire-key", kid });
  }

  /**
   * Returns the worker's frame counters, and the unknown KIDs seen since
   * the previous call. Raises when the worker does not reply in time.
   */
  stats(): Promise<FrameStats> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error("The call encryption worker did not reply."));
      }, STATS_TIMEOUT_MS);
      this.statsWaiters.push((stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.post({ type: "stats" });
    });
  }

  close(): void {
    this.worker.terminate();
  }
}

function copy(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}
