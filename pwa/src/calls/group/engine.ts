import { newId } from "../../data/uuid.ts";
import type { GroupCallInfo } from "../../../../protocol/index.ts";
import { db } from "../../data/db.ts";
import type { GroupCallFrame } from "../../data/call-frames.ts";
import { log } from "../../data/log.ts";
import { failRequest, newRid, request, sendFrame } from "../../data/wire.ts";
import { activeCall } from "../active.ts";
import { FrameEncryption } from "../e2ee/frame-encryption.ts";
import { CallKeyring } from "../e2ee/keyring.ts";
import { MediaProblem, openMedia } from "../media.ts";
import {
  activeGroupCall,
  claimCallTab,
  finishGroupCall,
  myDeviceId,
  newActiveCall,
  placeholderInfo,
  rememberCall,
  setActiveGroupCall,
  type ActiveGroupCall,
} from "./active.ts";
import { adoptRunningCall, reconnectIfReadmitted } from "./admission.ts";
import { connectMedia, followParticipants, startTimers } from "./connect.ts";
import { joinedGroupCall, storeChatCall } from "./frames.ts";
import { currentGroupCall, updateGroupCall } from "./state.ts";

/**
 * The life of a group call on this device: ringing, joining, following
 * the room's state, rejoining after a drop or reload, and leaving.
 */

const CALL_ENDED = "This call has ended.";

/** How long to wait for an error reply to `groupcall.join`, in ms. */
const JOIN_REPLY_MS = 20_000;

/**
 * Starts the call's frame encryption and its keys from the chat's MLS
 * group. Ends the call and returns false where the browser cannot
 * encrypt, so no media goes out in clear.
 */
function startEncryption(call: ActiveGroupCall): boolean {
  let encryption: FrameEncryption;
  try {
    encryption = FrameEncryption.start();
  } catch (error) {
    log("group_call_encryption_unsupported", { callId: call.callId });
    finishGroupCall(
      call,
      error instanceof Error ? error.message : String(error),
    );
    return false;
  }
  const callId = call.callId;
  log("group_call_encryption_started", { callId, api: encryption.api });
  call.encryption = encryption;
  call.keyring = new CallKeyring(
    encryption,
    call.chatId,
    callId,
    myDeviceId(),
    {
      code: (code) => updateGroupCall(callId, { securityCode: code }),
      waiting: (devices) =>
        updateGroupCall(callId, { waitingDevices: devices }),
    },
    { local: call.localKey, send: sendFrame },
  );
  call.keyring.start();
  return true;
}

function stopEncryption(call: ActiveGroupCall): void {
  call.keyring?.stop();
  call.encryption?.close();
  call.keyring = null;
  call.encryption = null;
}

/**
 * Replaces the call's worker and keys with ones for its current call id.
 * The room has not admitted the call yet, so no SFU session uses the old
 * worker. Frames under the old keys would not decrypt on other devices.
 */
function restartEncryption(call: ActiveGroupCall): void {
  stopEncryption(call);
  updateGroupCall(call.callId, { securityCode: null, waitingDevices: [] });
  startEncryption(call);
}

/**
 * Sends `groupcall.join` with this device's call key, and ends the call on
 * an error reply.
 */
async function sendJoin(call: ActiveGroupCall, video: boolean): Promise<void> {
  const rid = newRid();
  call.rid = rid;
  const callKey = (await call.localKey)?.signed;
  const frame = {
    type: "groupcall.join" as const,
    rid,
    chatId: call.chatId,
    callId: call.callId,
    video,
    callKey,
  };
  try {
    const reply = await request(rid, frame, JOIN_REPLY_MS);
    if (reply.type !== "error") return;
    log("group_call_join_rejected", {
      callId: call.callId,
      code: reply.error.code,
    });
    // The room rejects the id of its last ended call, so this error
    // reaches a tab that rejoins a call which ended while it was away.
    const ended =
      reply.error.code === "conflict" && reply.error.field === "callId";
    finishGroupCall(call, ended ? CALL_ENDED : reply.error.message);
  } catch {
    // Cleared by the room's state naming this device, or lost with the
    // connection. The next `ready` frame rejoins (rejoinGroupCall).
    if (call.rid === rid && !call.ended) {
      log("group_call_join_lost", { callId: call.callId });
      updateGroupCall(call.callId, {
        problem: "No connection. The call rejoins when the network is back.",
      });
    }
  }
}

/** Thrown when another tab of this browser is in a group call. */
const IN_OTHER_TAB =
  "You are in a group call in another tab of this app. Continue there, or leave it first.";

/**
 * Opens the camera and microphone for the call. Returns false when the
 * call ended meanwhile or the devices failed, which ends it.
 */
async function openCallMedia(
  call: ActiveGroupCall,
  video: boolean,
): Promise<boolean> {
  try {
    const media = await openMedia(video);
    if (call.ended) {
      // Left while the camera and microphone opened: release them.
      for (const track of media.stream.getTracks()) track.stop();
      return false;
    }
    call.stream = media.stream;
    updateGroupCall(call.callId, {
      cameraOn: media.stream.getVideoTracks().length > 0,
      problem: media.cameraProblem,
    });
    return true;
  } catch (error) {
    const text = error instanceof MediaProblem ? error.message : String(error);
    finishGroupCall(call, text);
    return false;
  }
}

async function enter(
  chatId: string,
  callId: string,
  video: boolean,
): Promise<void> {
  const releaseTab = await claimCallTab();
  if (releaseTab === null) throw new Error(IN_OTHER_TAB);
  if (activeGroupCall() !== null) {
    // Another join of this tab won the race while the lock was requested.
    releaseTab();
    return;
  }
  const call = newActiveCall(chatId, callId, releaseTab);
  setActiveGroupCall(call);
  const ringing = currentGroupCall.value;
  currentGroupCall.value = {
    call:
      ringing?.call.callId === callId
        ? ringing.call
        : placeholderInfo(chatId, callId, video),
    phase: "joining",
    tiles: [],
    muted: false,
    cameraOn: video,
    sharingScreen: false,
    speakerDeviceId: null,
    problem: null,
    message: null,
    securityCode: null,
    waitingDevices: [],
  };
  if (!(await openCallMedia(call, video)) || call.ended) return;
  if (!startEncryption(call)) return;
  rememberCall(call, video);
  startTimers(call);
  log("group_call_join", { callId, chatId, video });
  await sendJoin(call, video);
}

/**
 * Starts the group chat's call, or joins the one running, with the camera
 * on when `video` is true. Throws an Error with a sentence for the person
 * when the chat cannot be called.
 */
export async function joinGroupCall(
  chatId: string,
  video: boolean,
): Promise<void> {
  const current = activeGroupCall();
  if (current?.chatId === chatId) return;
  if (current !== null || activeCall() !== null) {
    throw new Error("You are already in a call.");
  }
  const chat = await db.chats.get(chatId);
  if (chat?.kind !== "group" || chat.left) {
    throw new Error("Group calls work in groups you are a member of.");
  }
  await enter(chatId, chat.groupCall?.callId ?? newId(), video);
}

/**
 * Rejoins the call of this tab after a reload or a dropped socket. The
 * room keeps this device's place; a new SFU session replaces a failed one.
 */
export async function rejoinGroupCall(): Promise<void> {
  const joined = joinedGroupCall();
  if (joined === null) return;
  const current = activeGroupCall();
  if (current === null) {
    // NOTE: the room rejects the id of a call that ended while this tab
    // was away, unless a later call replaced that call's row. Then this
    // starts a new call under the old id.
    await enter(joined.chatId, joined.callId, joined.video).catch(
      (error: unknown) => {
        log("group_call_rejoin_failed", {
          callId: joined.callId,
          error: String(error),
        });
      },
    );
    return;
  }
  if (current.callId !== joined.callId) return;
  const view = currentGroupCall.value;
  await sendJoin(current, view?.cameraOn ?? joined.video);
  const state = current.session?.peer.connectionState;
  if (state === "failed" || state === "closed") await connectMedia(current);
}

/** Declines the ringing call on every device of this person. */
export function declineGroupCall(): void {
  const view = currentGroupCall.value;
  if (view === null || view.phase !== "ringing") return;
  sendFrame({ type: "groupcall.decline", callId: view.call.callId });
  currentGroupCall.value = null;
}

/** Leaves the call; the room ends it when this was the last participant. */
export function leaveGroupCall(): void {
  const call = activeGroupCall();
  if (call === null) return;
  log("group_call_leave", { callId: call.callId });
  sendFrame({ type: "groupcall.leave", callId: call.callId });
  finishGroupCall(call, null);
}

function showRing(info: GroupCallInfo): void {
  if (activeGroupCall() !== null || activeCall() !== null) return;
  if (currentGroupCall.value !== null) return;
  currentGroupCall.value = {
    call: info,
    phase: "ringing",
    tiles: [],
    muted: false,
    cameraOn: info.video,
    sharingScreen: false,
    speakerDeviceId: null,
    problem: null,
    message: null,
    securityCode: null,
    waitingDevices: [],
  };
}

function applyState(info: GroupCallInfo): void {
  const call = activeGroupCall();
  if (call !== null && adoptRunningCall(call, info)) restartEncryption(call);
  if (call === null || call.callId !== info.callId) {
    if (currentGroupCall.value?.call.callId === info.callId) {
      updateGroupCall(info.callId, { call: info });
    }
    return;
  }
  call.info = info;
  const me = info.participants.find(
    (participant) => participant.deviceId === myDeviceId(),
  );
  if (me === undefined) {
    // Dropped by the room after a long silence: join again in place.
    if (call.admitted && call.rid === null) void sendJoin(call, info.video);
    return;
  }
  call.admitted = true;
  // NOTE: RealtimeKit's SDK owns its peer connection and exposes no
  // sender or receiver to attach frame encryption to, so its calls are
  // encrypted in transit only.
  if (info.provider === "realtimekit") stopEncryption(call);
  call.keyring?.setParticipants(info.participants);
  if (call.rid !== null) {
    const rid = call.rid;
    call.rid = null;
    failRequest(rid, "the room admitted this device");
  }
  updateGroupCall(call.callId, { phase: "active", call: info });
  if (call.session === null && call.meeting === null) {
    void connectMedia(call);
  }
  reconnectIfReadmitted(call, me.joinedAt);
  followParticipants(call);
}

function stopRinging(callId: string): void {
  const view = currentGroupCall.value;
  if (view?.phase === "ringing" && view.call.callId === callId) {
    currentGroupCall.value = null;
  }
}

function applyEnded(callId: string): void {
  const call = activeGroupCall();
  if (call?.callId === callId) finishGroupCall(call, "Call ended");
  else if (currentGroupCall.value?.call.callId === callId) {
    currentGroupCall.value = null;
  }
}

/**
 * Stores a group call frame's chat state, and rings, follows or ends this
 * device's call. `ready` (the socket connected again) rejoins the call of
 * this tab.
 */
export async function handleGroupCallFrame(
  frame: GroupCallFrame,
): Promise<void> {
  switch (frame.type) {
    case "ready":
      await rejoinGroupCall();
      return;
    case "groupcall.ring.stopped":
      // Declined or joined on another device, or rang out.
      stopRinging(frame.callId);
      return;
    case "groupcall.ring":
      await storeChatCall(frame);
      showRing(frame.call);
      return;
    case "groupcall.state":
      await storeChatCall(frame);
      applyState(frame.call);
      return;
    case "groupcall.ended":
      await storeChatCall(frame);
      applyEnded(frame.callId);
      return;
    case "groupcall.key":
    case "groupcall.key.request": {
      const call = activeGroupCall();
      if (call?.callId === frame.callId) call.keyring?.receive(frame);
      return;
    }
  }
}
