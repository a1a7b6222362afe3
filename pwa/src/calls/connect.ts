import {
  CALL_PING_MS,
  type CallSignal,
  type ServerFrame,
} from "../../../protocol/index.ts";
import { log } from "../data/log.ts";
import { session } from "../data/state.ts";
import {
  isLinked,
  newRid,
  request,
  RequestLost,
  sendFrame,
} from "../data/wire.ts";
import { finishCall, sendMediaState, type ActiveCall } from "./active.ts";
import { clearRequest, sendHangup } from "./controller.ts";
import { FrameEncryption } from "./e2ee/frame-encryption.ts";
import { CallKeyring } from "./e2ee/keyring.ts";
import { PeerLink } from "./peer.ts";
import { startPings } from "./pings.ts";
import { classifyQuality, sampleOf } from "./quality.ts";
import { currentCall, updateCall } from "./state.ts";

/**
 * An accepted call: the peer connection, pings that keep the call alive on
 * the server, and the quality indicator.
 */

/** How often the quality indicator samples `getStats()`, in ms. */
const STATS_INTERVAL_MS = 2_000;
/** Samples kept; quality compares the oldest with the newest (~4 s). */
const STATS_WINDOW = 3;

/**
 * Starts the media of an accepted call: adds the local tracks to a new
 * peer connection, which then negotiates with the other end.
 */
export async function connectCall(
  call: ActiveCall,
  frame: Extract<ServerFrame, { type: "call.state" }>,
): Promise<void> {
  clearRequest(call);
  const callId = call.info.callId;
  updateCall(callId, {
    phase: "connecting",
    acceptedAt: frame.acceptedAt ?? null,
  });
  const servers = await call.iceServers;
  if (call.ended || call.link !== null) return;

  const polite = frame.polite ?? !call.outgoing;
  const encryption = startEncryption(call);
  if (encryption === null) return;
  const link = new PeerLink(
    servers,
    polite,
    {
      signal: (signal) => {
        sendFrame({ type: "call.signal", callId, signal });
      },
      remoteStream: (stream) => updateCall(callId, { remoteStream: stream }),
      connection: (state) => {
        if (state === "connected") {
          updateCall(callId, { phase: "active", reconnecting: false });
        } else {
          updateCall(callId, { reconnecting: true });
        }
      },
      lost: (everConnected) => {
        log("call_lost", { callId, everConnected });
        sendHangup(callId, everConnected ? "hangup" : "failed");
        finishCall(call, everConnected ? "Connection lost" : "Call failed");
      },
    },
    encryption,
  );
  call.link = link;
  await addLocalTracks(call, link);
  for (const signal of call.pendingSignals.splice(0)) {
    await link.handleSignal(signal);
  }

  sendMediaState(call);
  call.timers.push(
    startPings({ isLinked, sendPing: () => sendPing(call) }),
    setInterval(() => void sampleQuality(call), STATS_INTERVAL_MS),
  );
}

/**
 * Sends one `call.ping`; returns false when no socket is ready. The server
 * replies only when the call is over for it, such as a call that ended
 * while this device was offline, and that reply ends the call here.
 */
function sendPing(call: ActiveCall): boolean {
  if (!isLinked()) return false;
  const callId = call.info.callId;
  const frame = { type: "call.ping", rid: newRid(), callId } as const;
  request(frame.rid, frame, CALL_PING_MS)
    .then((reply) => {
      if (reply.type !== "error" || reply.error.code !== "not_found") return;
      log("call_gone", { callId });
      finishCall(call, "Call ended");
    })
    .catch((error: unknown) => {
      // No reply in time is the usual case: the call is live.
      if (error instanceof RequestLost) return;
      log("call_ping_failed", { callId, error: String(error) });
    });
  return true;
}

/**
 * Starts the call's frame encryption and its keys from the chat's MLS
 * group. Ends the call and returns null where the browser cannot encrypt.
 */
function startEncryption(call: ActiveCall): FrameEncryption | null {
  const callId = call.info.callId;
  let encryption: FrameEncryption;
  try {
    encryption = FrameEncryption.start();
  } catch (error) {
    log("call_encryption_unsupported", { callId });
    sendHangup(callId, "failed");
    finishCall(call, error instanceof Error ? error.message : String(error));
    return null;
  }
  log("call_encryption_started", { callId, api: encryption.api });
  const keyring = new CallKeyring(
    encryption,
    call.info.chatId,
    callId,
    session.value?.deviceId ?? "",
    {
      code: (code) => updateCall(callId, { securityCode: code }),
      waiting: (devices) => {
        updateCall(callId, { waitingForKeys: devices.length > 0 });
      },
    },
  );
  call.encryption = encryption;
  call.keyring = keyring;
  keyring.start();
  return encryption;
}

async function addLocalTracks(call: ActiveCall, link: PeerLink) {
  const muted = currentCall.value?.muted === true;
  for (const track of call.stream.getTracks()) {
    const sender = link.addTrack(track, call.stream);
    if (track.kind === "audio") {
      call.audioSender = sender;
      // Muted while it rang: nothing may go out until unmuted.
      if (muted) await sender.replaceTrack(null);
    } else {
      call.videoSender = sender;
    }
  }
}

/** Applies a signal, or keeps it until the link exists. */
export async function receiveSignal(
  call: ActiveCall,
  signal: CallSignal,
): Promise<void> {
  if (call.link === null) {
    call.pendingSignals.push(signal);
    return;
  }
  await call.link.handleSignal(signal);
}

async function sampleQuality(call: ActiveCall): Promise<void> {
  const link = call.link;
  if (link === null || call.ended) return;
  const report = await link.pc.getStats();
  const entries: Record<string, unknown>[] = [];
  report.forEach((entry: Record<string, unknown>) => entries.push(entry));
  call.samples.push(sampleOf(entries, Date.now()));
  if (call.samples.length > STATS_WINDOW) call.samples.shift();
  const first = call.samples[0];
  const last = call.samples[call.samples.length - 1];
  if (first === undefined || last === undefined || first === last) return;
  updateCall(call.info.callId, { quality: classifyQuality(first, last) });
}
