/**
 * The decision at the heart of perfect negotiation, the pattern of the
 * "Perfect Negotiation Example" in the W3C WebRTC 1.0 specification. Both
 * ends may send an offer at the same moment. The impolite end then ignores
 * the other's offer, while the polite end rolls its own offer back and
 * replies to the other's.
 */

/** The state of one end when a remote description arrives. */
export interface NegotiationState {
  /** This end yields on a collision (the callee's device). */
  polite: boolean;
  /** An own offer is being made (`setLocalDescription()` pending). */
  makingOffer: boolean;
  signalingState: RTCSignalingState;
  /** A remote answer is being applied, which ends in "stable". */
  settingRemoteAnswer: boolean;
}

/**
 * Returns whether an incoming description of `type` collides with this
 * end's own offer: an offer that arrives while this end makes one, or while
 * it is not stable and not about to be.
 */
export function isOfferCollision(
  state: NegotiationState,
  type: RTCSdpType,
): boolean {
  const readyForOffer =
    !state.makingOffer &&
    (state.signalingState === "stable" || state.settingRemoteAnswer);
  return type === "offer" && !readyForOffer;
}

/**
 * Returns whether to drop an incoming description: only the impolite end
 * drops, and only a colliding offer. The polite end applies it, which rolls
 * its own offer back.
 */
export function shouldIgnoreDescription(
  state: NegotiationState,
  type: RTCSdpType,
): boolean {
  return !state.polite && isOfferCollision(state, type);
}
