// RTP forwarding from one published track to the sessions that pull it,
// and keyframe requests in the other direction.
import {
  MediaStreamTrack,
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from "werift";
import { observeVideoPacket } from "./payload-check.ts";

/** Feedback message type (FMT) of a Full Intra Request, RFC 5104 4.3.1. */
const FIR_FMT = 4;
/**
 * Minimum gap between keyframe requests sent to one publisher, so that a
 * burst of requests from several pullers costs one keyframe.
 */
const KEYFRAME_REQUEST_MIN_GAP_MS = 500;
/**
 * A new pull requests a keyframe from the publisher this many times, once a
 * second, because the first keyframe may arrive before the puller's
 * connection is up and a VP8 decoder shows nothing until it gets one.
 */
const NEW_PULL_KEYFRAME_REQUESTS = 5;
const NEW_PULL_KEYFRAME_INTERVAL_MS = 1_000;

/** A track that a session publishes, with the pulls it feeds. */
export class PublishedTrack {
  readonly sessionId: string;
  readonly trackName: string;
  readonly mid: string;
  readonly kind: "audio" | "video";
  /** Time of the last RTP packet received, in ms since the epoch. */
  lastPacketAt: number | undefined;
  closed = false;

  private readonly transceiver: RTCRtpTransceiver;
  private readonly pulls = new Set<Pull>();
  private readonly unsubscribers: (() => void)[] = [];
  private sourceSsrc: number | undefined;
  private lastKeyframeRequestAt = 0;

  constructor(
    sessionId: string,
    trackName: string,
    transceiver: RTCRtpTransceiver,
  ) {
    this.sessionId = sessionId;
    this.trackName = trackName;
    this.mid = transceiver.mid ?? "";
    this.kind = transceiver.kind === "video" ? "video" : "audio";
    this.transceiver = transceiver;
    // werift creates the remote track when the offer lists its SSRC, or on
    // the first packet when it does not.
    for (const track of transceiver.receiver.tracks) this.attach(track);
    const { unSubscribe } = transceiver.onTrack.subscribe((track) =>
      this.attach(track),
    );
    this.unsubscribers.push(unSubscribe);
  }

  private attach(track: MediaStreamTrack): void {
    this.sourceSsrc = track.ssrc;
    const { unSubscribe } = track.onReceiveRtp.subscribe((packet) => {
      this.forward(packet);
    });
    this.unsubscribers.push(unSubscribe);
  }

  private forward(packet: RtpPacket): void {
    this.lastPacketAt = Date.now();
    if (packet.header.ssrc !== this.sourceSsrc) {
      this.sourceSsrc = packet.header.ssrc;
    }
    if (this.kind === "video") {
      observeVideoPacket(this.sessionId, this.trackName, {
        timestamp: packet.header.timestamp,
        payload: packet.payload,
      });
    }
    for (const pull of this.pulls) pull.write(packet);
  }

  /** Sends a PLI to the publisher, at most once per 500 ms. */
  requestKeyframe(): void {
    if (this.kind !== "video" || this.closed) return;
    if (this.sourceSsrc === undefined) return;
    const now = Date.now();
    if (now - this.lastKeyframeRequestAt < KEYFRAME_REQUEST_MIN_GAP_MS) return;
    this.lastKeyframeRequestAt = now;
    // sendRtcpPLI catches and logs its own send errors.
    void this.transceiver.receiver.sendRtcpPLI(this.sourceSsrc);
  }

  addPull(pull: Pull): void {
    this.pulls.add(pull);
  }

  removePull(pull: Pull): void {
    this.pulls.delete(pull);
  }

  /** Stops receiving and forwarding, and ends every pull of this track. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers.length = 0;
    for (const pull of [...this.pulls]) pull.close();
  }
}

/** One session's pull of a published track, over its own transceiver. */
export class Pull {
  readonly source: PublishedTrack;
  readonly transceiver: RTCRtpTransceiver;
  closed = false;

  private readonly output: MediaStreamTrack;
  private readonly unsubscribeRtcp: () => void;
  private keyframeTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    source: PublishedTrack,
    transceiver: RTCRtpTransceiver,
    output: MediaStreamTrack,
  ) {
    this.source = source;
    this.transceiver = transceiver;
    this.output = output;
    const { unSubscribe } = transceiver.sender.onRtcp.subscribe((packet) =>
      this.handleRtcp(packet),
    );
    this.unsubscribeRtcp = unSubscribe;
    source.addPull(this);
    this.startKeyframeRequests();
  }

  /**
   * Forwards `packet`. werift's sender rewrites its SSRC, payload type,
   * sequence number and timestamp to this transceiver's.
   */
  write(packet: RtpPacket): void {
    if (!this.closed) this.output.writeRtp(packet);
  }

  private handleRtcp(packet: RtcpPacket): void {
    if (!(packet instanceof RtcpPayloadSpecificFeedback)) return;
    const feedback = packet.feedback;
    if (
      feedback instanceof PictureLossIndication ||
      feedback.count === FIR_FMT
    ) {
      this.source.requestKeyframe();
    }
  }

  private startKeyframeRequests(): void {
    if (this.source.kind !== "video") return;
    let remaining = NEW_PULL_KEYFRAME_REQUESTS;
    this.source.requestKeyframe();
    this.keyframeTimer = setInterval(() => {
      remaining -= 1;
      this.source.requestKeyframe();
      if (remaining <= 0) this.stopKeyframeRequests();
    }, NEW_PULL_KEYFRAME_INTERVAL_MS);
  }

  private stopKeyframeRequests(): void {
    if (this.keyframeTimer !== undefined) clearInterval(this.keyframeTimer);
    this.keyframeTimer = undefined;
  }

  /** Stops forwarding to this transceiver. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopKeyframeRequests();
    this.unsubscribeRtcp();
    this.source.removePull(this);
  }
}

/** Creates the sending end of a pull: a local track of the source's kind. */
export function createOutputTrack(kind: "audio" | "video"): MediaStreamTrack {
  return new MediaStreamTrack({ kind });
}
