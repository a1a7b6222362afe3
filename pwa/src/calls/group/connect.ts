import { GROUP_CALL_PING_MS } from "../../../../protocol/index.ts";
import { log } from "../../data/log.ts";
import { sendFrame } from "../../data/wire.ts";
import { sendUpdate, type ActiveGroupCall } from "./active.ts";
import { SfuSession, type LocalTrack } from "./session.ts";
import { currentGroupCall, updateGroupCall } from "./state.ts";
import { renderTiles, syncPulls } from "./tracks.ts";

/**
 * The media of a group call: one SFU session that publishes this device's
 * tracks, reopened with backoff after a failure, plus the pings and the
 * active-speaker detection.
 */

/** Delay before the n-th reconnection of the media, capped, in ms. */
function backoffMs(attempt: number): number {
  return Math.min(1_000 * 2 ** attempt, 15_000);
}

function localTracks(call: ActiveGroupCall): LocalTrack[] {
  const tracks: LocalTrack[] = [];
  for (const track of call.stream.getAudioTracks().slice(0, 1)) {
    tracks.push({ track, name: { trackName: "audio", kind: "audio" } });
  }
  for (const track of call.stream.getVideoTracks().slice(0, 1)) {
    tracks.push({ track, name: { trackName: "video", kind: "video" } });
  }
  if (call.screen !== null) {
    tracks.push({
      track: call.screen,
      name: { trackName: "screen", kind: "screen" },
    });
  }
  return tracks;
}

/**
 * Opens a new SFU session, publishes the local tracks and pulls, or joins
 * the call's RealtimeKit meeting when the room runs the call there.
 */
async function openSession(call: ActiveGroupCall): Promise<void> {
  if (call.info?.provider === "realtimekit") {
    // Loaded only for such calls, so the SDK stays off the first screen.
    const { openMeeting } = await import("./meeting.ts");
    await openMeeting(call);
    return;
  }
  if (call.encryption === null) {
    throw new Error("Call encryption is not running.");
  }
  const session = new SfuSession(call.chatId, call.callId, call.encryption);
  call.session?.end();
  call.session = session;
  call.pulls.clear();
  call.published.clear();
  session.peer.addEventListener("connectionstatechange", () => {
    const state = session.peer.connectionState;
    if (state !== "failed" || call.session !== session) return;
    log("group_call_media_failed", { callId: call.callId });
    void connectMedia(call);
  });
  await session.open();
  const tracks = localTracks(call);
  const transceivers = await session.publish(tracks);
  tracks.forEach((local, index) => {
    call.published.set(local.name.trackName, {
      transceiver: transceivers[index]!,
      track: local.name,
    });
  });
  sendUpdate(call);
  await pullWithRetry(call, session);
}

/** Whether a connectMedia loop runs for the call. */
const connecting = new WeakSet<ActiveGroupCall>();

/**
 * Connects the call's media through a new SFU session, retrying with
 * backoff and telling the person, until it works or the call ends.
 */
export async function connectMedia(call: ActiveGroupCall): Promise<void> {
  if (connecting.has(call)) return;
  connecting.add(call);
  try {
    for (let attempt = 0; !call.ended; attempt++) {
      try {
        await openSession(call);
        updateGroupCall(call.callId, { problem: null });
        return;
      } catch (error) {
        const wait = backoffMs(attempt);
        log("group_call_media_retry", {
          callId: call.callId,
          attempt,
          error: String(error),
        });
        const reason = error instanceof Error ? error.message : String(error);
        updateGroupCall(call.callId, {
          problem: `${reason} Reconnecting in ${Math.round(wait / 1000)} s…`,
        });
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  } finally {
    connecting.delete(call);
  }
}

/** Pending retries of pulls that the SFU rejected with track errors. */
const pullRetries = new WeakMap<
  ActiveGroupCall,
  { timer: ReturnType<typeof setTimeout>; attempt: number }
>();

/**
 * Pulls the participants' tracks. Tracks that fail on their own are
 * pulled again with backoff while the session lasts, so a tile whose
 * track the SFU did not find yet does not stay without media.
 */
async function pullWithRetry(
  call: ActiveGroupCall,
  session: SfuSession,
): Promise<void> {
  const failed = await syncPulls(call);
  const retry = pullRetries.get(call);
  if (failed === 0 || call.ended || call.session !== session) {
    if (failed === 0 && retry !== undefined) {
      clearTimeout(retry.timer);
      pullRetries.delete(call);
    }
    return;
  }
  if (retry !== undefined) clearTimeout(retry.timer);
  const attempt = (retry?.attempt ?? -1) + 1;
  const wait = backoffMs(attempt);
  log("group_call_pull_retry", { callId: call.callId, failed, attempt });
  const timer = setTimeout(() => {
    if (call.session === session && !call.ended) followParticipants(call);
  }, wait);
  pullRetries.set(call, { timer, attempt });
}

/** Pulls the tracks of the call's current participants, or retries. */
export function followParticipants(call: ActiveGroupCall): void {
  const session = call.session;
  if (session === null) {
    renderTiles(call);
    return;
  }
  pullWithRetry(call, session).catch((error: unknown) => {
    log("group_call_pull_failed", {
      callId: call.callId,
      error: String(error),
    });
    void connectMedia(call);
  });
}

/** How often the loudest participant is measured, in ms. */
const SPEAKER_POLL_MS = 500;
/** inbound-rtp audioLevel (0 to 1) below which no one counts as speaking. */
const SPEAKING_LEVEL = 0.02;

async function measureSpeaker(call: ActiveGroupCall): Promise<void> {
  const session = call.session;
  if (session === null) return;
  const report = await session.peer.getStats();
  let loudest: { mid: string; level: number } | null = null;
  report.forEach(
    (stats: {
      type?: string;
      kind?: string;
      mid?: string;
      audioLevel?: number;
    }) => {
      if (stats.type !== "inbound-rtp" || stats.kind !== "audio") return;
      const level = stats.audioLevel ?? 0;
      if (level < SPEAKING_LEVEL || stats.mid === undefined) return;
      if (loudest === null || level > loudest.level) {
        loudest = { mid: stats.mid, level };
      }
    },
  );
  const mid = (loudest as { mid: string } | null)?.mid;
  const pulled = [...call.pulls.values()].find((track) => track.mid === mid);
  const speaker = call.info?.participants.find(
    (participant) => participant.sessionId === pulled?.sessionId,
  );
  const speakerDeviceId = speaker?.deviceId ?? null;
  if (currentGroupCall.value?.speakerDeviceId === speakerDeviceId) return;
  updateGroupCall(call.callId, { speakerDeviceId });
}

/** Starts the pings and the speaker detection of the call. */
export function startTimers(call: ActiveGroupCall): void {
  call.timers.push(
    setInterval(() => {
      sendFrame({ type: "groupcall.ping", callId: call.callId });
    }, GROUP_CALL_PING_MS),
    setInterval(() => {
      measureSpeaker(call).catch(() => undefined);
    }, SPEAKER_POLL_MS),
  );
}
