// One SFU session: a werift RTCPeerConnection to one client, with the
// tracks that the client publishes on it and the tracks it pulls.
import {
  PictureLossIndication,
  RTCPeerConnection,
  RtcpPayloadSpecificFeedback,
  type RtcpPacket,
  useFIR,
  useNACK,
  useOPUS,
  usePLI,
  useREMB,
  useVP8,
} from "werift";
import type {
  LocalTrackRequest,
  SessionDescription,
  TrackResult,
  TrackState,
} from "./api.ts";
import { SfuError } from "./api.ts";
import { createOutputTrack, Pull, PublishedTrack } from "./forwarding.ts";
import { log } from "./log.ts";

/** Maximum wait for werift to gather its ICE candidates on loopback. */
const GATHERING_TIMEOUT_MS = 5_000;

/**
 * Creates a peer connection that gathers host candidates on 127.0.0.1 only,
 * which is how werift connects to Chromium on loopback. It negotiates Opus
 * and VP8 only, so every packet it receives can go to every puller with
 * only the header fields changed that werift's sender rewrites.
 */
function createPeerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceAdditionalHostAddresses: ["127.0.0.1"],
    iceInterfaceAddresses: { udp4: "127.0.0.1" },
    iceUseIpv6: false,
    codecs: {
      audio: [useOPUS()],
      video: [
        useVP8({ rtcpFeedback: [useNACK(), usePLI(), useFIR(), useREMB()] }),
      ],
    },
  });
}

export class Session {
  readonly id: string;
  readonly createdAt = Date.now();
  /** Published tracks by track name, unique within the session. */
  readonly published = new Map<string, PublishedTrack>();
  /** Pulls by the mid of their transceiver. */
  readonly pulls = new Map<string, Pull>();
  /** Time of the last change of the connection state, ms since the epoch. */
  stateChangedAt = Date.now();
  closed = false;

  private readonly pc = createPeerConnection();
  private readonly onClose: (session: Session, reason: string) => void;
  private mutationQueue: Promise<unknown> = Promise.resolve();
  /** DTLS transports whose RTCP this session reads for PLIs. */
  private readonly watchedTransports = new WeakSet<object>();

  constructor(id: string, onClose: (session: Session, reason: string) => void) {
    this.id = id;
    this.onClose = onClose;
    // NOTE: werift 0.25.2 ignores the DTLS close_notify that a browser sends
    // from RTCPeerConnection.close(), so a closed client is noticed only when
    // ICE consent fails, about 30 s later. Its tracks are dropped sooner by
    // the idle limit on media.
    this.pc.connectionStateChange.subscribe((state) => {
      this.stateChangedAt = Date.now();
      log("sfu.connection_state", { sessionId: this.id, state });
      if (state === "failed" || state === "closed") {
        // close() logs its own errors and never rejects.
        void this.close(`connection ${state}`);
      }
    });
  }

  get connectionState(): string {
    return this.pc.connectionState;
  }

  /**
   * Runs `mutation` after every earlier one of this session has finished,
   * because an offer/answer exchange must not interleave with another.
   */
  exclusive<T>(mutation: () => Promise<T>): Promise<T> {
    const result = this.mutationQueue.then(mutation);
    this.mutationQueue = result.catch(() => undefined);
    return result;
  }

  /** Applies the client's offer and returns the SFU's SDP answer. */
  async answer(offer: SessionDescription): Promise<SessionDescription> {
    if (offer.type !== "offer") {
      throw new SfuError(
        400,
        "invalid_request",
        `Invalid sessionDescription.type "${offer.type}": expected "offer".`,
      );
    }
    this.requireStable();
    await this.setRemote(offer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    this.watchKeyframeRequests();
    return this.localDescription();
  }

  /** Creates an offer for the transceivers added since the last exchange. */
  async offer(): Promise<SessionDescription> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.watchKeyframeRequests();
    return this.localDescription();
  }

  /**
   * Relays the client's PLIs for pulled tracks to their publishers.
   * werift 0.25.2 routes a PLI to the SSRC that sent it when that SSRC is
   * known, before the media SSRC it names. A client that publishes on this
   * connection sends its PLIs from one of its own SSRCs. So werift hands
   * them to the receiver of the client's track, which drops them, and the
   * pulled track never gets the keyframe the client requested.
   */
  private watchKeyframeRequests(): void {
    for (const transport of this.pc.dtlsTransports) {
      if (this.watchedTransports.has(transport)) continue;
      this.watchedTransports.add(transport);
      transport.onRtcp.subscribe((packet) => this.relayPli(packet));
    }
  }

  private relayPli(packet: RtcpPacket): void {
    if (!(packet instanceof RtcpPayloadSpecificFeedback)) return;
    const feedback = packet.feedback;
    if (!(feedback instanceof PictureLossIndication)) return;
    for (const pull of this.pulls.values()) {
      if (pull.transceiver.sender.ssrc === feedback.mediaSsrc) {
        pull.source.requestKeyframe();
      }
    }
  }

  /** Applies the client's answer to the offer of the last tracks/new. */
  async applyAnswer(answer: SessionDescription): Promise<void> {
    if (answer.type !== "answer") {
      throw new SfuError(
        400,
        "invalid_request",
        `Invalid sessionDescription.type "${answer.type}": expected "answer".`,
      );
    }
    if (this.pc.signalingState !== "have-local-offer") {
      throw new SfuError(
        400,
        "invalid_state",
        `Session ${this.id} has no offer waiting for an answer.`,
      );
    }
    await this.setRemote(answer);
  }

  /** Applies the client's SDP, or throws a 400 that quotes werift's error. */
  private async setRemote(description: SessionDescription): Promise<void> {
    // werift accepts SDP without media sections and then waits in vain for
    // ICE gathering, so such input is rejected here.
    if (!/^m=/m.test(description.sdp)) {
      throw new SfuError(
        400,
        "invalid_request",
        "Invalid sessionDescription.sdp: it has no media section (m= line).",
      );
    }
    try {
      await this.pc.setRemoteDescription(description);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SfuError(
        400,
        "invalid_request",
        `Invalid sessionDescription.sdp: ${reason}`,
      );
    }
  }

  /** Throws when an offer of this session still waits for its answer. */
  requireStable(): void {
    if (this.pc.signalingState !== "stable") {
      throw new SfuError(
        400,
        "invalid_state",
        `Session ${this.id} waits for the answer to its last offer: ` +
          "send it with PUT renegotiate first.",
      );
    }
  }

  /** Registers the client's tracks named in `tracks`, after answer(). */
  publish(tracks: LocalTrackRequest[]): TrackResult[] {
    return tracks.map((request) => {
      const result: TrackResult = {
        location: "local",
        mid: request.mid,
        trackName: request.trackName,
        sessionId: this.id,
      };
      const transceiver = this.pc
        .getTransceivers()
        .find((candidate) => candidate.mid === request.mid);
      if (transceiver === undefined) {
        return {
          ...result,
          errorCode: "invalid_mid",
          errorDescription: `The offer has no media section with mid ${request.mid}.`,
        };
      }
      const existing = this.published.get(request.trackName);
      if (existing !== undefined && !existing.closed) {
        return {
          ...result,
          errorCode: "track_exists",
          errorDescription: `Track ${request.trackName} is already published in session ${this.id}.`,
        };
      }
      this.published.set(
        request.trackName,
        new PublishedTrack(this.id, request.trackName, transceiver),
      );
      return result;
    });
  }

  /** Adds a sending transceiver fed by `source`. Its mid comes from offer(). */
  addPull(source: PublishedTrack): Pull {
    const output = createOutputTrack(source.kind);
    const transceiver = this.pc.addTransceiver(output, {
      direction: "sendonly",
    });
    return new Pull(source, transceiver, output);
  }

  /** Records pulls under the mids that the last offer gave them. */
  registerPulls(pulls: Pull[]): void {
    for (const pull of pulls) {
      const mid = pull.transceiver.mid;
      if (mid !== null) this.pulls.set(mid, pull);
    }
  }

  /** Stops forwarding on each of `mids`, published or pulled. */
  closeTracks(mids: string[]): TrackResult[] {
    return mids.map((mid) => {
      const pull = this.pulls.get(mid);
      if (pull !== undefined) {
        pull.close();
        this.pulls.delete(mid);
        return { mid, trackName: pull.source.trackName };
      }
      for (const [name, track] of this.published) {
        if (track.mid !== mid) continue;
        track.close();
        this.published.delete(name);
        return { mid, trackName: name };
      }
      return {
        mid,
        errorCode: "not_found",
        errorDescription: `Session ${this.id} has no open track with mid ${mid}.`,
      };
    });
  }

  /** Lists the session's tracks in the shape of GET sessions/{id}. */
  trackStates(): TrackState[] {
    const states: TrackState[] = [];
    for (const track of this.published.values()) {
      states.push({
        location: "local",
        mid: track.mid,
        trackName: track.trackName,
        status: track.lastPacketAt === undefined ? "waiting" : "active",
      });
    }
    for (const [mid, pull] of this.pulls) {
      states.push({
        location: "remote",
        mid,
        trackName: pull.source.trackName,
        sessionId: pull.source.sessionId,
        status: pull.source.closed ? "inactive" : "active",
      });
    }
    return states;
  }

  /**
   * Ends every track of the session and closes its peer connection. Never
   * rejects: a failure to close the connection is logged.
   */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const track of this.published.values()) track.close();
    for (const pull of this.pulls.values()) pull.close();
    this.published.clear();
    this.pulls.clear();
    this.onClose(this, reason);
    try {
      await this.pc.close();
    } catch (error) {
      log("sfu.error", {
        sessionId: this.id,
        during: "close",
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async localDescription(): Promise<SessionDescription> {
    await this.gatheringComplete();
    const description = this.pc.localDescription;
    // werift creates offers and answers only, never a provisional answer.
    if (description === null || description.type === "pranswer") {
      throw new Error(`Session ${this.id} has no local offer or answer.`);
    }
    return { type: description.type, sdp: description.sdp };
  }

  private async gatheringComplete(): Promise<void> {
    if (this.pc.iceGatheringState === "complete") return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        unSubscribe();
        reject(
          new Error(
            `ICE gathering of session ${this.id} timed out after ` +
              `${GATHERING_TIMEOUT_MS} ms.`,
          ),
        );
      }, GATHERING_TIMEOUT_MS);
      const { unSubscribe } = this.pc.iceGatheringStateChange.subscribe(
        (state) => {
          if (state !== "complete") return;
          clearTimeout(timer);
          unSubscribe();
          resolve();
        },
      );
    });
  }
}
