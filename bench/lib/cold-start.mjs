// @ts-check
// Functions passed to page.evaluate run in the page, with its globals.
/* global document, requestAnimationFrame */
// Cold start of the built app on a large local copy. IndexedDB is seeded
// with a session and many chats, and then the app is opened in new pages.
// Each page records when the newest chat's row first shows in a frame.
// Two ways of starting are measured, each in a browser context of its own:
// every file fetched from the network (no service worker), and offline
// with the app served by the service worker's precache.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleSeed, seedApp, serveApp } from "./open-chat.mjs";

const DIST = fileURLToPath(new URL("../../dist", import.meta.url));
/** Starts per way of starting; the median is reported. */
const RUNS = 3;

/**
 * Opens the app's root in a new page and returns milliseconds from the
 * start of navigation to the first frame that shows the chat titled
 * `title`, and how many chat rows that frame had.
 *
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin @param {string} title
 */
async function startOnce(context, origin, title) {
  const page = await context.newPage();
  await page.addInitScript((wanted) => {
    const check = () => {
      const titles = document.querySelectorAll(".chat-row__title");
      for (const element of titles) {
        if (element.textContent !== wanted) continue;
        /** @type {any} */ (globalThis).chatListShown = {
          milliseconds: performance.now(),
          rows: titles.length,
        };
        return;
      }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, title);
  await page.goto(`${origin}/`);
  const handle = await page.waitForFunction(
    () => /** @type {any} */ (globalThis).chatListShown,
    undefined,
    { timeout: 120_000 },
  );
  /** @type {{ milliseconds: number, rows: number }} */
  const shown = await handle.jsonValue();
  await page.close();
  return shown;
}

/**
 * Starts the app RUNS times and returns the median time and the rows.
 *
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin @param {string} title
 */
async function medianStart(context, origin, title) {
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    runs.push(await startOnce(context, origin, title));
  }
  runs.sort((a, b) => a.milliseconds - b.milliseconds);
  return runs[Math.floor(runs.length / 2)] ?? { milliseconds: NaN, rows: 0 };
}

/**
 * Waits until a service worker controls the app in `context`, loading the
 * app once so that the worker installs and precaches it.
 *
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin
 */
async function installServiceWorker(context, origin) {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.close();
}

/**
 * Measures cold starts with `chats` chats of `perChat` messages each.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {number} chats @param {number} perChat
 */
export async function coldStart(browser, chats, perChat) {
  if (!existsSync(join(DIST, "index.html"))) {
    return { error: "dist/index.html not found; run `npm run build` first" };
  }
  const list = Array.from({ length: chats }, (_, index) => ({
    chatId: `g_00000000-0000-4000-9000-${String(index).padStart(12, "0")}`,
    name: `Chat ${index + 1}`,
    messages: perChat,
  }));
  // The seed makes the last chat the most recently active, so it is the
  // first row of the list.
  const title = `Chat ${chats}`;
  const server = await serveApp(await bundleSeed());
  const network = await browser.newContext({ serviceWorkers: "block" });
  const offline = await browser.newContext();
  try {
    const seedSeconds = await seedApp(network, server.origin, list);
    const fromNetwork = await medianStart(network, server.origin, title);
    await seedApp(offline, server.origin, list);
    await installServiceWorker(offline, server.origin);
    await offline.setOffline(true);
    const fromCache = await medianStart(offline, server.origin, title);
    return {
      chats,
      messages: chats * perChat,
      seedSeconds,
      runs: RUNS,
      network: fromNetwork,
      offline: fromCache,
    };
  } finally {
    await network.close();
    await offline.close();
    server.close();
  }
}
