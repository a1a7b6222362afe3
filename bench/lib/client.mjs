// @ts-check
// Client benchmarks in Chromium through Playwright: the first-screen bundle
// size, the rate at which the data layer stores incoming messages, opening
// and scrolling a long chat, and the cold start of the built app.
import { build } from "esbuild";
import { createServer } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { chromium } from "playwright-core";
import { findChromium } from "../../scripts/ensure-browser.mjs";
import { firstScreenChunks, BUDGET_BYTES } from "../bundle-size.mjs";
import { coldStart } from "./cold-start.mjs";
import { openLongChat } from "./open-chat.mjs";
import { scrollChat } from "./scroll.mjs";

/** Bundles the ingest page's script. @returns {Promise<string>} */
async function bundleIngest() {
  const result = await build({
    entryPoints: [
      new URL("../client/ingest-entry.ts", import.meta.url).pathname,
    ],
    bundle: true,
    format: "esm",
    write: false,
    minify: true,
    define: { "import.meta.env.DEV": "false" },
  });
  return result.outputFiles[0]?.text ?? "";
}

/**
 * Serves a blank page with `script` on a free port of 127.0.0.1, because
 * IndexedDB needs an origin.
 *
 * @param {string} script
 * @returns {Promise<{ origin: string, close: () => void }>}
 */
function servePage(script) {
  const server = createServer((request, response) => {
    if (request.url === "/ingest.js") {
      response.writeHead(200, { "Content-Type": "text/javascript" });
      response.end(script);
      return;
    }
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end(
      '<!doctype html><script type="module" src="/ingest.js"></script>',
    );
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        close: () => server.close(),
      });
    });
  });
}

/** Ways of storing messages that ingest-entry.ts times, floors first. */
const INGEST_MODES = ["floor", "keyFloor", "pages", "burst"];
/** Measured runs of each mode, after one unmeasured run of each. */
const INGEST_ROUNDS = 3;

/**
 * Runs every ingest mode once unmeasured, so code paths and the database
 * are warm for all of them alike, then INGEST_ROUNDS times in turn, so a
 * change in the machine's load hits every mode. Returns the median and
 * the range of messages per second of each mode.
 *
 * @param {import("playwright-core").Page} tab @param {number} count
 */
async function measureIngest(tab, count) {
  const run = (/** @type {string} */ mode) =>
    tab.evaluate(
      ([n, how]) => /** @type {any} */ (globalThis).ingest(n, how),
      /** @type {const} */ ([count, mode]),
    );
  /** @type {Record<string, number[]>} */
  const rates = {};
  for (let round = 0; round <= INGEST_ROUNDS; round++) {
    for (const mode of INGEST_MODES) {
      const rate = await run(mode);
      if (round > 0) (rates[mode] ??= []).push(rate);
    }
  }
  /** @type {Record<string, any>} */
  const result = { count, rounds: INGEST_ROUNDS };
  for (const [mode, values] of Object.entries(rates)) {
    const sorted = [...values].sort((a, b) => a - b);
    result[mode] = sorted[Math.floor(sorted.length / 2)];
    result[`${mode}Range`] = [sorted[0], sorted[sorted.length - 1]];
  }
  return result;
}

/** @param {boolean} quick */
export async function clientBenchmarks(quick) {
  const loadAverage = loadavg()[0];
  const cores = availableParallelism();
  let bundle;
  try {
    const chunks = firstScreenChunks();
    bundle = {
      chunks,
      gzipBytes: chunks.reduce((sum, chunk) => sum + chunk.gzipBytes, 0),
      budget: BUDGET_BYTES,
    };
  } catch (error) {
    bundle = { error: String(error) };
  }
  const executablePath = findChromium();
  if (!executablePath) {
    const error = "no Chromium";
    return {
      loadAverage,
      cores,
      bundle,
      ingest: { error },
      openChat: { error },
      scroll: { error },
      startup: { error },
    };
  }
  const page = await servePage(await bundleIngest());
  const browser = await chromium.launch({ executablePath });
  try {
    const tab = await browser.newPage();
    await tab.goto(page.origin);
    await tab.waitForFunction(() => "ingest" in globalThis);
    const ingest = await measureIngest(tab, quick ? 2000 : 10_000);
    await tab.close();
    const long = quick ? 10_000 : 100_000;
    const scrolled = quick ? 2000 : 10_000;
    const { after: scroll, ...openChat } = await openLongChat(
      browser,
      long,
      1000,
      (chatPage) => scrollChat(chatPage, long, scrolled),
    );
    const startup = quick
      ? await coldStart(browser, 100, 100)
      : await coldStart(browser, 1000, 100);
    return { loadAverage, cores, bundle, ingest, openChat, scroll, startup };
  } finally {
    await browser.close();
    page.close();
  }
}
