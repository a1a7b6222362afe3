import { effect } from "@preact/signals";
import { currentGroupCall, type GroupCallView } from "./group/state.ts";
import { currentCall, type CallView } from "./state.ts";
import { createAudioContext, TonePlayer, type Tone } from "./tones.ts";

/**
 * Returns the tone for this device's calls: the ringtone while a
 * one-to-one or group call rings here, the ringback while the other end
 * of an outgoing call rings, and otherwise none. Accepting, declining,
 * cancelling, accepting on another device and every end move the call out
 * of those phases, which stops the tone.
 *
 * NOTE: muting a chat silences its message notifications only. Its calls
 * still ring, as their push notifications do, because the app has no
 * "do not disturb" setting for calls.
 */
export function toneFor(
  call: CallView | null,
  groupCall: GroupCallView | null,
): Tone | null {
  if (call?.phase === "incoming") return "ringtone";
  if (call?.phase === "outgoing" && call.progress === "ringing") {
    return "ringback";
  }
  // A group call can ring while the closing screen of a one-to-one call
  // still shows.
  if (groupCall?.phase === "ringing") return "ringtone";
  return null;
}

/**
 * Plays the tone that `toneFor` picks whenever the call state changes.
 * Returns a function that stops following the calls and the tone.
 */
export function followCallTones(
  player = new TonePlayer(createAudioContext),
): () => void {
  const dispose = effect(() => {
    void player.play(toneFor(currentCall.value, currentGroupCall.value));
  });
  return () => {
    dispose();
    player.stop();
  };
}
