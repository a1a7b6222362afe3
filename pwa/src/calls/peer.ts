import {
  CALL_LOST_TIMEOUT_MS,
  type CallSignal,
} from "../../../protocol/index.ts";
import { log } from "../data/log.ts";
import type { FrameEncryption } from "./e2ee/frame-encryption.ts";
import { shouldIgnoreDescription } from "./negotiation.ts";

/** Callbacks of the peer link to the call that owns it. */
export interface PeerEvents {
  /** Sends a description or candidate to the other end. */
  signal(signal: CallSignal): void;
  /** The remote tracks changed, and `stream` contains all of them. */
  remoteStream(stream: MediaStream): void;
  /** The media connected (again) or is trying to reconnect. */
  connection(state: "connected" | "reconnecting"): void;
  /**
   * The media did not connect, or did not reconnect, within
   * CALL_LOST_TIMEOUT_MS. `everConnected` is false for the first case.
   */
  lost(everConnected: boolean): void;
}

/** How long "disconnected" may last before an ICE restart, in ms. */
const DISCONNECTED_GRACE_MS = 3_000;
/**
 * Extra wait of the polite end before it restarts ICE, so that when both
 * ends notice a drop, the impolite end's restart offer usually comes first
 * and the two offers do not collide.
 */
const POLITE_RESTART_DELAY_MS = 2_000;

/**
 * The WebRTC connection of an accepted call, negotiated with the perfect
 * negotiation pattern. Either end may renegotiate at any time, such as to
 * turn video on or restart ICE. When two offers collide, the polite end
 * yields, so no description is lost.
 */
export class PeerLink {
  readonly pc: RTCPeerConnection;
  private readonly polite: boolean;
  private readonly events: PeerEvents;
  private makingOffer = false;
  private ignoreOffer = false;
  private settingRemoteAnswer = false;
  /** Incoming signals apply one at a time, in arrival order. */
  private incoming: Promise<void> = Promise.resolve();
  private readonly remote = new MediaStream();
  private everConnected = false;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private politeRestartTimer: ReturnType<typeof setTimeout> | undefined;
  private lostTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(
    iceServers: RTCIceServer[],
    polite: boolean,
    events: PeerEvents,
    private readonly encryption: FrameEncryption,
  ) {
    this.pc = new RTCPeerConnection({ iceServers, ...encryption.peerConfig });
    this.polite = polite;
    this.events = events;
    this.pc.onnegotiationneeded = () => void this.makeOffer();
    this.pc.onicecandidate = ({ candidate }) => {
      if (candidate !== null) {
        const init = candidate.toJSON();
        this.events.signal({
          kind: "candidate",
          candidate: { ...init, candidate: init.candidate ?? "" },
        });
      }
    };
    this.pc.ontrack = ({ track, receiver }) => {
      // Before the track plays, so no frame reaches the decoder unopened.
      this.encryption.attachReceiver(receiver);
      this.addRemoteTrack(track);
    };
    this.pc.onconnectionstatechange = () => this.connectionChanged();
    // The media must connect within the same bound as a reconnect.
    this.startLostTimer();
  }

  /** Applies a description or candidate from the other end. */
  handleSignal(signal: CallSignal): Promise<void> {
    this.incoming = this.incoming
      .then(() => this.applySignal(signal))
      .catch((error: unknown) => {
        log("call_signal_failed", { kind: signal.kind, error: String(error) });
      });
    return this.incoming;
  }

  /**
   * Restarts ICE, as after a network change; renegotiation follows. The
   * polite end waits POLITE_RESTART_DELAY_MS first and skips the restart
   * when the connection recovered meanwhile.
   */
  restartIce(): void {
    if (this.closed) return;
    if (!this.polite) {
      this.restartNow();
      return;
    }
    clearTimeout(this.politeRestartTimer);
    this.politeRestartTimer = setTimeout(() => {
      if (this.pc.connectionState !== "connected") this.restartNow();
    }, POLITE_RESTART_DELAY_MS);
  }

  /** Adds a local track whose frames are encrypted. */
  addTrack(track: MediaStreamTrack, stream: MediaStream): RTCRtpSender {
    const sender = this.pc.addTrack(track, stream);
    // The receiver of the same transceiver gets its transform now. In
    // Chromium 156, a receiver transform set in `ontrack`, after its
    // transceiver's sender got one, receives no frame, and the decoder
    // gets the ciphertext.
    const transceiver = this.pc
      .getTransceivers()
      .find((candidate) => candidate.sender === sender);
    if (transceiver !== undefined) {
      this.encryption.attachReceiver(transceiver.receiver);
    }
    this.encryption.attachSender(
      sender,
      track.kind === "audio" ? "audio" : "video",
    );
    return sender;
  }

  private restartNow(): void {
    if (this.closed) return;
    log("call_ice_restart", { state: this.pc.connectionState });
    this.pc.restartIce();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.politeRestartTimer);
    clearTimeout(this.lostTimer);
    this.pc.close();
  }

  private async makeOffer(): Promise<void> {
    if (this.closed) return;
    // The caller's device makes the first offer. When the polite end also
    // offered and then rolled back for the caller's offer, Chromium 156.0.8078
    // gathered no ICE candidates for its answer, and the call never
    // connected. Once a remote description exists, either end may offer;
    // `negotiationneeded` fires again after the answer if still needed.
    if (this.polite && this.pc.remoteDescription === null) return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      this.sendLocalDescription();
    } catch (error) {
      log("call_offer_failed", { error: String(error) });
    } finally {
      this.makingOffer = false;
    }
  }

  private async applySignal(signal: CallSignal): Promise<void> {
    if (this.closed) return;
    if (signal.kind === "candidate") {
      try {
        await this.pc.addIceCandidate(signal.candidate);
      } catch (error) {
        // Candidates of an offer this end ignored fail to apply; others
        // are real errors.
        if (!this.ignoreOffer) throw error;
      }
      return;
    }
    const { description } = signal;
    this.ignoreOffer = shouldIgnoreDescription(
      {
        polite: this.polite,
        makingOffer: this.makingOffer,
        signalingState: this.pc.signalingState,
        settingRemoteAnswer: this.settingRemoteAnswer,
      },
      description.type,
    );
    if (this.ignoreOffer) {
      log("call_offer_ignored");
      return;
    }
    this.settingRemoteAnswer = description.type === "answer";
    try {
      // In "have-local-offer" this rolls the own offer back first.
      await this.pc.setRemoteDescription(description);
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (description.type === "offer") {
      await this.pc.setLocalDescription();
      this.sendLocalDescription();
    }
  }

  /**
   * Sends the local description, whichever type it has. When an offer
   * arrives while `negotiationneeded` fires, the `setLocalDescription()`
   * of `makeOffer` may run after the remote offer and create the answer,
   * so each caller sends what it finds rather than the type it expected.
   */
  private sendLocalDescription(): void {
    const local = this.pc.localDescription;
    if (local === null) return;
    if (local.type !== "offer" && local.type !== "answer") return;
    this.events.signal({
      kind: "description",
      description: { type: local.type, sdp: local.sdp },
    });
  }

  private addRemoteTrack(track: MediaStreamTrack): void {
    this.remote.addTrack(track);
    track.addEventListener("ended", () => {
      this.remote.removeTrack(track);
      this.events.remoteStream(new MediaStream(this.remote.getTracks()));
    });
    // A new MediaStream object, so media elements notice the change.
    this.events.remoteStream(new MediaStream(this.remote.getTracks()));
  }

  // NOTE: the browser tests cannot cut a loopback connection, so the
  // "disconnected" and "failed" paths below and the lost timer have no
  // automated test. The restart itself is tested through `online`.
  private connectionChanged(): void {
    const state = this.pc.connectionState;
    log("call_connection_state", { state });
    clearTimeout(this.restartTimer);
    switch (state) {
      case "connected":
        this.everConnected = true;
        clearTimeout(this.lostTimer);
        this.lostTimer = undefined;
        this.events.connection("connected");
        return;
      case "disconnected":
        // Often recovers by itself within a second or two.
        this.restartTimer = setTimeout(
          () => this.restartIce(),
          DISCONNECTED_GRACE_MS,
        );
        this.reconnecting();
        return;
      case "failed":
        this.restartIce();
        this.reconnecting();
        return;
      case "new":
      case "connecting":
      case "closed":
        return;
    }
  }

  private reconnecting(): void {
    if (!this.everConnected) return;
    this.events.connection("reconnecting");
    this.startLostTimer();
  }

  private startLostTimer(): void {
    if (this.lostTimer !== undefined) return;
    this.lostTimer = setTimeout(() => {
      if (!this.closed) this.events.lost(this.everConnected);
    }, CALL_LOST_TIMEOUT_MS);
  }
}
