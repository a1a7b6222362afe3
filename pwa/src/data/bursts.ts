import type { ServerFrame } from "../../../protocol/index.ts";

/**
 * Order of server frames: each frame is applied after every frame that
 * arrived before it, except that live `message` frames arriving while
 * earlier frames are still being applied form a burst. The handlers of a
 * burst start together, so `applyMessages` stores all their messages in
 * one transaction, and any frame after the burst waits for all of it.
 * The handlers of a burst may finish in any order, so what they write must
 * not depend on it: `applyMessages` counts unread messages by sequence.
 */

interface Burst {
  /** The end of the chain once the burst has been applied. */
  done: Promise<void>;
  frames: ServerFrame[];
}

/** The burst that later `message` frames may still join. */
let open: Burst | null = null;

/**
 * Chains `frame` after `tail`, the promise this function returned for the
 * previous frame, and returns the new end of the chain. `run` applies one
 * frame and must not reject.
 */
export function chainFrame(
  tail: Promise<void>,
  frame: ServerFrame,
  run: (frame: ServerFrame) => Promise<void>,
): Promise<void> {
  if (frame.type !== "message") {
    open = null;
    return tail.then(() => run(frame));
  }
  if (open !== null && open.done === tail) {
    open.frames.push(frame);
    return tail;
  }
  const frames = [frame];
  const burst: Burst = {
    frames,
    done: tail.then(async () => {
      // From here on, new frames go after the burst.
      if (open === burst) open = null;
      await Promise.all(frames.map(run));
    }),
  };
  open = burst;
  return burst.done;
}
