// @ts-check
// Opening a long chat in the built app: the app's IndexedDB is seeded with
// a session and two chats (a long one and a short one), then each chat is
// opened in a new page. Measures the time from navigation to the newest
// message shown, and the JavaScript heap after a garbage collection.
import { build } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../../dist", import.meta.url));

const TYPES = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Serves dist/ with index.html for unknown paths, the seed page at
 * /bench-seed.html, and 503 for /api, so the app starts offline from the
 * rows stored in IndexedDB.
 *
 * @param {string} seedScript
 * @returns {Promise<{ origin: string, close: () => void }>}
 */
export function serveApp(seedScript) {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (path.startsWith("/api")) {
      response.writeHead(503).end();
      return;
    }
    if (path === "/bench-seed.js") {
      response.writeHead(200, { "Content-Type": "text/javascript" });
      response.end(seedScript);
      return;
    }
    if (path === "/bench-seed.html") {
      response.writeHead(200, { "Content-Type": "text/html" });
      response.end(
        '<!doctype html><script type="module" src="/bench-seed.js"></script>',
      );
      return;
    }
    let file = join(DIST, normalize(path));
    if (!file.startsWith(DIST) || !existsSync(file) || path === "/") {
      file = join(DIST, "index.html");
    }
    if (!existsSync(file) || !extname(file)) file = join(DIST, "index.html");
    const type = TYPES[/** @type {keyof typeof TYPES} */ (extname(file))];
    response.writeHead(200, {
      "Content-Type": type ?? "application/octet-stream",
    });
    response.end(readFileSync(file));
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

export async function bundleSeed() {
  const result = await build({
    entryPoints: [
      fileURLToPath(new URL("../client/seed-entry.ts", import.meta.url)),
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
 * Opens `chatId` in a new page and returns milliseconds until the text of
 * message `newest` is visible, and the used heap in bytes after a GC.
 *
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin @param {string} chatId @param {number} newest
 */
async function openChat(context, origin, chatId, newest) {
  const page = await context.newPage();
  const started = performance.now();
  await page.goto(`${origin}/chat/${encodeURIComponent(chatId)}`);
  await page
    .getByText(`Message ${newest}`, { exact: true })
    .first()
    .waitFor({ timeout: 60_000 });
  const milliseconds = performance.now() - started;
  // Let the list settle before the heap is read.
  await page.waitForTimeout(2000);
  const cdp = await context.newCDPSession(page);
  await cdp.send("HeapProfiler.collectGarbage");
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const heap = metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? NaN;
  const rows = await page.getByText(/^Message \d+$/).count();
  await page.close();
  return { milliseconds, heapBytes: heap, rowsInDom: rows };
}

/**
 * Seeds the app's IndexedDB in `context` through the seed page and returns
 * the seconds it took.
 *
 * @param {import("playwright-core").BrowserContext} context
 * @param {string} origin
 * @param {Array<{ chatId: string, name: string, messages: number }>} chats
 */
export async function seedApp(context, origin, chats) {
  const seedPage = await context.newPage();
  await seedPage.goto(`${origin}/bench-seed.html`);
  await seedPage.waitForFunction(() => "seed" in globalThis);
  const started = performance.now();
  await seedPage.evaluate(
    (list) => /** @type {any} */ (globalThis).seed(list),
    chats,
  );
  const seconds = (performance.now() - started) / 1000;
  await seedPage.close();
  return seconds;
}

/** Id of the long chat that openLongChat seeds. */
export const LONG_CHAT_ID = "g_00000000-0000-4000-8000-000000000001";

/**
 * Seeds a chat of `long` and one of `short` messages and opens each. With
 * `afterOpen`, the long chat is opened once more and handed to it.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {number} long @param {number} short
 * @param {(page: import("playwright-core").Page) => Promise<unknown>} [afterOpen]
 */
export async function openLongChat(browser, long, short, afterOpen) {
  if (!existsSync(join(DIST, "index.html"))) {
    return { error: "dist/index.html not found; run `npm run build` first" };
  }
  const server = await serveApp(await bundleSeed());
  const context = await browser.newContext({ serviceWorkers: "block" });
  try {
    const shortId = "g_00000000-0000-4000-8000-000000000002";
    const seedSeconds = await seedApp(context, server.origin, [
      { chatId: LONG_CHAT_ID, name: `Bench ${long}`, messages: long },
      { chatId: shortId, name: `Bench ${short}`, messages: short },
    ]);
    const result = {
      long,
      short,
      seedSeconds,
      shortChat: await openChat(context, server.origin, shortId, short),
      longChat: await openChat(context, server.origin, LONG_CHAT_ID, long),
    };
    if (afterOpen === undefined) return { ...result, after: undefined };
    const page = await context.newPage();
    await page.goto(`${server.origin}/chat/${LONG_CHAT_ID}`);
    await page
      .getByText(`Message ${long}`, { exact: true })
      .first()
      .waitFor({ timeout: 60_000 });
    const after = await afterOpen(page);
    await page.close();
    return { ...result, after };
  } finally {
    await context.close();
    server.close();
  }
}
