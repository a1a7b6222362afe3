/**
 * Decides when a receiver requests a keyframe from the sender. A VP8
 * decoder shows nothing from delta frames until it has a keyframe. That
 * keyframe may be lost, because the receiver dropped it while its KID had
 * no key yet, or the sender dropped it before it had a send key. So at
 * the start and after dropped frames, each decrypted delta frame requests
 * a keyframe, at most once per KEYFRAME_REQUEST_GAP_MS, until a keyframe
 * passes.
 */

/** Minimum time between two keyframe requests of one receiver, in ms. */
export const KEYFRAME_REQUEST_GAP_MS = 1_000;

export class KeyframeNeed {
  private needed = true;
  private lastRequestAt = -Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /** Notes a frame that was dropped, so the next delta frames ask again. */
  dropped(): void {
    this.needed = true;
  }

  /**
   * Notes a decrypted frame and returns whether to request a keyframe
   * now.
   */
  passed(keyframe: boolean): boolean {
    if (keyframe) {
      this.needed = false;
      return false;
    }
    if (!this.needed) return false;
    const now = this.now();
    if (now - this.lastRequestAt < KEYFRAME_REQUEST_GAP_MS) return false;
    this.lastRequestAt = now;
    return true;
  }
}
