import type { ServerFrame } from "../../../protocol/index.ts";
import { log } from "./log.ts";

/** The server frames of one-to-one calls. */
export type CallFrame = Extract<
  ServerFrame,
  {
    type:
      | "call.incoming"
      | "call.state"
      | "call.signal"
      | "call.media"
      | "call.ended";
  }
>;

/**
 * The server frames of group calls, and `ready`, after which a tab that
 * took part in a call before a reload or a drop rejoins it.
 */
export type GroupCallFrame = Extract<
  ServerFrame,
  {
    type:
      | "groupcall.state"
      | "groupcall.ring"
      | "groupcall.ring.stopped"
      | "groupcall.ended"
      | "groupcall.key"
      | "groupcall.key.request"
      | "ready";
  }
>;

/** A media key sealed to this device, or a request to resend ours. */
export type GroupCallKeyFrame = Extract<
  ServerFrame,
  { type: "groupcall.key" | "groupcall.key.request" }
>;

/** The entry points of the call engine that the rest of the app calls. */
export interface CallEngine {
  handleCallFrame(frame: CallFrame | GroupCallFrame): Promise<void>;
  /** Calls the other person of a one-to-one chat. */
  startCall(chatId: string, video: boolean): Promise<void>;
  /** Accepts `callId` once it rings, for a notification's Answer. */
  answerWhenRinging(callId: string): void;
  /** Starts the group chat's call, or joins the one running. */
  joinGroupCall(chatId: string, video: boolean): Promise<void>;
}

/** Key in sessionStorage of the group call this tab takes part in. */
export const JOINED_GROUP_CALL_KEY = "groupCall";

/**
 * Whether this tab took part in a group call before a reload. False where
 * sessionStorage is missing or access to it throws (a sandboxed frame).
 */
export function hasJoinedGroupCall(): boolean {
  try {
    return globalThis.sessionStorage?.getItem(JOINED_GROUP_CALL_KEY) != null;
  } catch {
    return false;
  }
}

let loader: (() => Promise<CallEngine>) | null = null;
let loading: Promise<CallEngine> | null = null;

/**
 * Sets how the call engine and its screen load. The app passes a dynamic
 * import, so the data layer does not depend on the UI.
 */
export function setCallLoader(load: () => Promise<CallEngine>): void {
  loader = load;
}

/**
 * Loads the call engine (pwa/src/calls) and its screen on first use,
 * because the first screen has a size budget.
 */
export function loadCalls(): Promise<CallEngine> {
  if (loader === null) {
    return Promise.reject(new Error("The call engine has no loader."));
  }
  loading ??= loader().catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}

/**
 * Hands a call frame to the call engine. Frames reach it in arrival order,
 * because every `then` on the one loading promise runs in the order added.
 */
export function dispatchCallFrame(
  frame: CallFrame | GroupCallFrame,
): Promise<void> {
  loadCalls()
    .then((calls) => calls.handleCallFrame(frame))
    .catch((error: unknown) => {
      log("call_frame_failed", { type: frame.type, error: String(error) });
    });
  return Promise.resolve();
}
