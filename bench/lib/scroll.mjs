// @ts-check
// Functions passed to page.evaluate run in the page, with its globals.
/* global document, requestAnimationFrame */
// Scrolling a long chat in the built app: the mouse wheel scrolls the
// message list up until `count` messages have passed, while the page
// records every animation frame. Long frames come from the Long Animation
// Frames API (Chromium 123 and later) and from gaps between
// requestAnimationFrame callbacks, both counted over 50 ms.

/** Pixels per wheel event, over half of Playwright's 720-pixel viewport. */
export const WHEEL_PIXELS = 400;
/** Wheel events before giving up, so a stuck list ends the run. */
const MAX_STEPS = 20_000;
/** A frame longer than this is a long frame, as in the Long Tasks API. */
const LONG_FRAME_MS = 50;

/**
 * Starts recording frames in the page: long animation frames and the gaps
 * between requestAnimationFrame callbacks.
 *
 * @param {import("playwright-core").Page} page
 */
function startRecording(page) {
  return page.evaluate((longMs) => {
    const record = {
      frames: 0,
      longFrames: /** @type {number[]} */ ([]),
      gaps: /** @type {number[]} */ ([]),
      stopped: false,
    };
    /** @type {any} */ (globalThis).frameRecord = record;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (entry.duration > longMs) record.longFrames.push(entry.duration);
      }
    }).observe({ type: "long-animation-frame" });
    let last = performance.now();
    const tick = (/** @type {number} */ now) => {
      if (now - last > longMs) record.gaps.push(now - last);
      last = now;
      record.frames++;
      if (!record.stopped) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, LONG_FRAME_MS);
}

/**
 * Waits for the next frame and returns the sequence number in the text of
 * the oldest message row rendered ("Message 123" is message 123).
 *
 * @param {import("playwright-core").Page} page
 */
function oldestRendered(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        requestAnimationFrame(() => {
          const text = document.querySelector(
            "[role=log] .messages__row .bubble__text",
          )?.textContent;
          resolve(Number(/^Message (\d+)$/.exec(text ?? "")?.[1] ?? NaN));
        });
      }),
  );
}

/**
 * Scrolls the open chat up from message `newest` until message
 * `newest - count` is rendered, one wheel event per frame, and returns
 * what the frames looked like.
 *
 * @param {import("playwright-core").Page} page
 * @param {number} newest @param {number} count
 */
export async function scrollChat(page, newest, count) {
  const log = page.getByRole("log");
  const box = await log.boundingBox();
  if (box === null) {
    throw new Error(
      "Message list (role log) not visible: the chat did not open.",
    );
  }
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const target = newest - count;
  await startRecording(page);
  const started = performance.now();
  let steps = 0;
  let oldest = newest;
  while (steps < MAX_STEPS && !(oldest <= target)) {
    await page.mouse.wheel(0, -WHEEL_PIXELS);
    steps++;
    oldest = /** @type {number} */ (await oldestRendered(page));
  }
  const seconds = (performance.now() - started) / 1000;
  const record = await page.evaluate(() => {
    const recorded = /** @type {any} */ (globalThis).frameRecord;
    recorded.stopped = true;
    return recorded;
  });
  return {
    count,
    wheelPixels: WHEEL_PIXELS,
    reached: oldest <= target,
    steps,
    seconds,
    frames: record.frames,
    longAnimationFrames: record.longFrames.length,
    frameGaps: record.gaps.length,
    maxFrameMs: Math.max(0, ...record.longFrames, ...record.gaps),
  };
}
