import type { GroupCallTrack } from "../../../../protocol/index.ts";
import type { FrameEncryption } from "../e2ee/frame-encryption.ts";
import { SfuClient, SfuFailure, type SfuReply } from "./sfu.ts";

/**
 * One SFU session of this device: an RTCPeerConnection that publishes the
 * local tracks and pulls the other participants'. Negotiations run one at
 * a time, because each one changes the same connection's descriptions.
 */

/** A local track to publish, with the name pullers ask for. */
export interface LocalTrack {
  track: MediaStreamTrack;
  name: GroupCallTrack;
}

/** A track pulled from another participant's session. */
export interface PulledTrack {
  sessionId: string;
  trackName: string;
  mid: string;
  track: MediaStreamTrack;
}

/** Resolves once the description carries every ICE candidate. */
async function gather(
  peer: RTCPeerConnection,
): Promise<RTCSessionDescriptionInit> {
  // The SFU takes no trickled candidates, so the SDP must carry them.
  if (peer.iceGatheringState !== "complete") {
    await new Promise<void>((resolve) => {
      const check = () => {
        if (peer.iceGatheringState !== "complete") return;
        peer.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      peer.addEventListener("icegatheringstatechange", check);
    });
  }
  const description = peer.localDescription;
  if (description === null) throw new Error("No local description.");
  return { type: description.type, sdp: description.sdp };
}

function checkTracks(reply: SfuReply): void {
  const failed = reply.tracks?.find((track) => track.errorCode !== undefined);
  if (failed !== undefined) {
    throw new SfuFailure(
      `The call server rejected track ${failed.trackName ?? failed.mid ?? "?"} (${failed.errorDescription ?? failed.errorCode ?? ""}).`,
      200,
    );
  }
}

export class SfuSession {
  readonly peer: RTCPeerConnection;
  readonly sfu: SfuClient;
  sessionId = "";
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    chatId: string,
    callId: string,
    private readonly encryption: FrameEncryption,
  ) {
    this.peer = new RTCPeerConnection({
      bundlePolicy: "max-bundle",
      ...encryption.peerConfig,
    });
    this.sfu = new SfuClient(chatId, callId);
  }

  /** Runs `work` after every earlier negotiation of this session. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Opens the SFU session. */
  async open(): Promise<void> {
    const reply = await this.sfu.newSession();
    if (reply.sessionId === undefined) {
      throw new SfuFailure("The call server sent no session id.", 200);
    }
    this.sessionId = reply.sessionId;
  }

  /** Publishes `tracks` with send-only transceivers. */
  publish(tracks: LocalTrack[]): Promise<RTCRtpTransceiver[]> {
    return this.serial(async () => {
      const transceivers = tracks.map((local) => {
        const transceiver = this.peer.addTransceiver(local.track, {
          direction: "sendonly",
        });
        const kind = local.track.kind === "audio" ? "audio" : "video";
        this.encryption.attachSender(transceiver.sender, kind);
        return transceiver;
      });
      await this.peer.setLocalDescription(await this.peer.createOffer());
      const offer = await gather(this.peer);
      const reply = await this.sfu.newTracks(
        this.sessionId,
        tracks.map((local, index) => ({
          location: "local",
          mid: transceivers[index]!.mid ?? "",
          trackName: local.name.trackName,
        })),
        offer,
      );
      checkTracks(reply);
      if (reply.sessionDescription === undefined) {
        throw new SfuFailure("The call server sent no SDP answer.", 200);
      }
      await this.peer.setRemoteDescription(reply.sessionDescription);
      return transceivers;
    });
  }

  /** Pulls `tracks` of other sessions; failed tracks are left out. */
  pull(
    tracks: { sessionId: string; trackName: string }[],
  ): Promise<PulledTrack[]> {
    return this.serial(async () => {
      const reply = await this.sfu.newTracks(
        this.sessionId,
        tracks.map((track) => ({ location: "remote", ...track })),
      );
      if (
        reply.requiresImmediateRenegotiation === true &&
        reply.sessionDescription !== undefined
      ) {
        await this.peer.setRemoteDescription(reply.sessionDescription);
        // Before the SDP answer, so no frame reaches a decoder unopened.
        for (const transceiver of this.peer.getTransceivers()) {
          if (transceiver.direction !== "recvonly") continue;
          this.encryption.attachReceiver(transceiver.receiver);
        }
        await this.peer.setLocalDescription(await this.peer.createAnswer());
        await this.sfu.renegotiate(this.sessionId, await gather(this.peer));
      }
      return this.pulledTracks(reply);
    });
  }

  private pulledTracks(reply: SfuReply): PulledTrack[] {
    const pulled: PulledTrack[] = [];
    for (const result of reply.tracks ?? []) {
      if (result.mid === undefined || result.errorCode !== undefined) continue;
      const transceiver = this.peer
        .getTransceivers()
        .find((candidate) => candidate.mid === result.mid);
      if (transceiver === undefined) continue;
      pulled.push({
        sessionId: result.sessionId ?? "",
        trackName: result.trackName ?? "",
        mid: result.mid,
        track: transceiver.receiver.track,
      });
    }
    return pulled;
  }

  /** Closes the transceivers of `mids`, here and at the SFU. */
  close(mids: string[]): Promise<void> {
    return this.serial(async () => {
      const transceivers = this.peer
        .getTransceivers()
        .filter((transceiver) => mids.includes(transceiver.mid ?? ""));
      if (transceivers.length === 0) return;
      for (const transceiver of transceivers) transceiver.stop();
      await this.peer.setLocalDescription(await this.peer.createOffer());
      const reply = await this.sfu.closeTracks(
        this.sessionId,
        mids,
        await gather(this.peer),
      );
      if (reply.sessionDescription !== undefined) {
        await this.peer.setRemoteDescription(reply.sessionDescription);
      }
    });
  }

  end(): void {
    this.peer.close();
  }
}
