import type RealtimeKitClient from "@cloudflare/realtimekit";
import type { LeaveRoomState } from "@cloudflare/realtimekit";
import { RealtimeKitTokenReply } from "../../../../protocol/realtimekit.ts";
import { log } from "../../data/log.ts";
import {
  finishGroupCall,
  myDeviceId,
  sendUpdate,
  type ActiveGroupCall,
  type MeetingControl,
} from "./active.ts";
import { showMeeting, type MeetingFeed } from "./meeting-view.ts";
import { currentGroupCall, updateGroupCall } from "./state.ts";

/**
 * The media of a group call on RealtimeKit. This device fetches its
 * participant token from the Worker and loads the SDK only then, so the
 * SDK never weighs on the first screen. It joins the call's meeting with
 * its own microphone and camera tracks and maps the meeting onto the
 * call screen (group/meeting-view.ts).
 */

/** A failure that retrying cannot fix. The call ends with `message`. */
export class MeetingClosed extends Error {
  override name = "MeetingClosed";
}

/** Requests this device's token for the call from the Worker. */
async function fetchToken(call: ActiveGroupCall) {
  const url = `/api/chats/${encodeURIComponent(call.chatId)}/calls/${encodeURIComponent(call.callId)}/realtimekit/token`;
  let response: Response;
  try {
    response = await fetch(url, { method: "POST", credentials: "same-origin" });
  } catch {
    throw new Error("Cannot reach the call server. Check your connection.");
  }
  if (response.status === 404 || response.status === 403) {
    throw new MeetingClosed("This call has ended.");
  }
  if (!response.ok) {
    throw new Error(`The call server failed (status ${response.status}).`);
  }
  const parsed = RealtimeKitTokenReply.safeParse(await response.json());
  if (!parsed.success) throw new Error("The call server sent no token.");
  return parsed.data;
}

/** Wraps the SDK client in the feed that the call screen follows. */
function feedOf(client: RealtimeKitClient): MeetingFeed {
  const joined = client.participants.joined;
  return {
    peers: () => joined.values(),
    onPeersChange: (listener) => {
      joined.on("participantJoined", listener);
      joined.on("participantLeft", listener);
      joined.on("audioUpdate", listener);
      joined.on("videoUpdate", listener);
      joined.on("screenShareUpdate", listener);
    },
    onActiveSpeaker: (listener) => {
      client.participants.on("activeSpeaker", ({ peerId }) => listener(peerId));
    },
    onRoomLeft: (listener) => {
      client.self.on("roomLeft", ({ state }) => listener(state));
    },
  };
}

/** Sends this device's microphone and camera tracks to the meeting. */
async function publish(client: RealtimeKitClient, call: ActiveGroupCall) {
  const [microphone] = call.stream.getAudioTracks();
  const [camera] = call.stream.getVideoTracks();
  const view = currentGroupCall.value;
  if (microphone !== undefined && view?.muted !== true) {
    await client.self.enableAudio(microphone);
  }
  if (camera !== undefined && view?.cameraOn === true) {
    await client.self.enableVideo(camera);
  }
}

function controlOf(
  client: RealtimeKitClient,
  call: ActiveGroupCall,
  render: () => void,
): MeetingControl {
  let left = false;
  return {
    render,
    setMuted: async (muted) => {
      const [microphone] = call.stream.getAudioTracks();
      if (muted) await client.self.disableAudio();
      else if (microphone !== undefined) {
        await client.self.enableAudio(microphone);
      }
    },
    setCamera: async (track) => {
      if (track === null) await client.self.disableVideo();
      else await client.self.enableVideo(track);
    },
    setScreen: async (on) => {
      if (!on) {
        await client.self.disableScreenShare();
        return null;
      }
      await client.self.enableScreenShare();
      return client.self.screenShareTracks.video ?? null;
    },
    leave: () => {
      if (left) return;
      left = true;
      client.leave().catch((error: unknown) => {
        log("group_call_meeting_leave_failed", { error: String(error) });
      });
    },
  };
}

/** Handles this device leaving the meeting without leaving the call. */
export function handleRoomLeft(
  call: ActiveGroupCall,
  state: LeaveRoomState,
): void {
  log("group_call_meeting_left", { callId: call.callId, state });
  if (call.ended || state === "left") return;
  if (state === "kicked" || state === "ended" || state === "rejected") {
    finishGroupCall(call, "This call has ended.");
    return;
  }
  // Disconnected or failed: join again through a fresh token.
  call.meeting = null;
  void import("./connect.ts").then(({ connectMedia }) => connectMedia(call));
}

/**
 * Joins the call's RealtimeKit meeting and shows it. Throws on failures
 * worth retrying (connectMedia retries with backoff), and ends the call
 * when the token route replies that the call is over.
 */
export async function openMeeting(call: ActiveGroupCall): Promise<void> {
  call.meeting?.leave();
  call.meeting = null;

  let token: RealtimeKitTokenReply;
  try {
    token = await fetchToken(call);
  } catch (error) {
    if (!(error instanceof MeetingClosed)) throw error;
    finishGroupCall(call, error.message);
    return;
  }
  const { default: Client } = await import("@cloudflare/realtimekit");
  const client = await Client.init({
    authToken: token.authToken,
    // This device's own tracks are sent below, so the SDK opens none.
    defaults: { audio: false, video: false },
  });
  if (call.ended) return;

  const feed = feedOf(client);
  const render = showMeeting(feed, {
    callId: call.callId,
    info: () => call.info,
    local: () => ({
      deviceId: myDeviceId(),
      stream: call.stream,
      screen: call.screen,
    }),
  });
  const control = controlOf(client, call, render);
  feed.onRoomLeft((state) => {
    if (call.meeting === control) handleRoomLeft(call, state);
  });
  // The browser's own "Stop sharing" button ends the share in the SDK.
  client.self.on("screenShareUpdate", ({ screenShareEnabled }) => {
    if (screenShareEnabled || call.meeting !== control) return;
    if (call.screen === null) return;
    call.screen = null;
    updateGroupCall(call.callId, { sharingScreen: false });
    render();
    sendUpdate(call);
  });
  call.meeting = control;

  await client.join();
  await publish(client, call);
  log("group_call_meeting_joined", { callId: call.callId });
  sendUpdate(call);
  render();
}
