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

/** The entry points of the call engine that the rest of the app calls. */
export interface CallEngine {
  handleCallFrame(frame: CallFrame): Promise<void>;
  /** Calls the other person of a one-to-one chat. */
  startCall(chatId: string, video: boolean): Promise<void>;
  /** Accepts `callId` once it rings, for a notification's Answer. */
  answerWhenRinging(callId: string): void;
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
export function dispatchCallFrame(frame: CallFrame): Promise<void> {
  loadCalls()
    .then((calls) => calls.handleCallFrame(frame))
    .catch((error: unknown) => {
      log("call_frame_failed", { type: frame.type, error: String(error) });
    });
  return Promise.resolve();
}
