// Deploys two builds of the app one after the other on one origin and checks
// that the installed page moves from the first to the second only through
// the "Update available" prompt, with no broken asset on the way.
import { execFile } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Page } from "@playwright/test";
import { expect, signUp, test, uniquePhone } from "./helpers.ts";
import { freePort, startWrangler, stopWrangler } from "./wrangler.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const VITE = join(ROOT, "node_modules", ".bin", "vite");
const run = promisify(execFile);

/** Builds the app into `outDir` with `buildId` baked in. */
async function build(outDir: string, buildId: string): Promise<void> {
  await run(VITE, ["build", "--outDir", outDir, "--emptyOutDir"], {
    cwd: ROOT,
    env: { ...process.env, VITE_BUILD_ID: buildId },
  });
}

/** Returns the build id of the running page, or "" while it navigates. */
async function buildIdOf(page: Page): Promise<string> {
  try {
    const id = await page.evaluate(
      () => document.documentElement.dataset.build,
    );
    return id ?? "";
  } catch {
    return "";
  }
}

/** Returns the URLs of every entry in the page's caches. */
function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const request of await cache.keys()) urls.push(request.url);
    }
    return urls;
  });
}

test.describe.configure({ mode: "serial" });

let workDir = "";
let server: ChildProcess | null = null;

test.beforeAll(async () => {
  test.setTimeout(300_000);
  workDir = mkdtempSync(join(tmpdir(), "messenger-update-"));
  // The builds differ in their build id, so their script files differ in
  // content and hashed name.
  await build(join(workDir, "first"), "first");
  await build(join(workDir, "second"), "second");
});

test.afterAll(async () => {
  if (server !== null) await stopWrangler(server);
  rmSync(workDir, { recursive: true, force: true });
});

test("update prompt switches to new build", async ({ browser }) => {
  test.setTimeout(240_000);
  const port = await freePort();
  const stateDir = join(workDir, "state");
  const logFile = join(workDir, "server.log");
  const baseURL = `http://127.0.0.1:${port}`;
  const serve = async (folder: string) => {
    server = await startWrangler({
      port,
      assets: join(workDir, folder),
      stateDir,
      logFile,
    });
  };

  await serve("first");
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const failures: string[] = [];
  page.on("response", (response) => {
    // The API returns 401 before sign-in, so only files count here.
    const isFile = !new URL(response.url()).pathname.startsWith("/api/");
    if (isFile && response.status() >= 400) {
      failures.push(`${response.status()} ${response.url()}`);
    }
  });
  await signUp(page, uniquePhone(), "Ana");
  expect(await buildIdOf(page)).toBe("first");
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.reload();
  await expect
    .poll(() => page.evaluate(() => !!navigator.serviceWorker.controller))
    .toBe(true);

  // Deploy the second build on the same origin.
  if (server !== null) await stopWrangler(server);
  await serve("second");

  // The reload still runs the first build, from the cache, and the new
  // service worker waits behind the prompt.
  await page.reload();
  expect(await buildIdOf(page)).toBe("first");
  await expect(page.getByRole("heading", { name: "Chats" })).toBeVisible();
  const banner = page.getByRole("status").filter({
    hasText: "Update available",
  });
  await expect(banner).toBeVisible({ timeout: 30_000 });
  expect(await buildIdOf(page)).toBe("first");

  await banner.getByRole("button", { name: "Reload" }).click();
  await expect.poll(() => buildIdOf(page), { timeout: 20_000 }).toBe("second");
  await expect(page.getByRole("heading", { name: "Chats" })).toBeVisible();
  await expect(banner).toHaveCount(0);

  // The second build's files only, in the page and in the caches.
  const firstAssets = readdirSync(join(workDir, "first", "assets"));
  const secondAssets = new Set(readdirSync(join(workDir, "second", "assets")));
  const removed = firstAssets.filter((name) => !secondAssets.has(name));
  expect(removed.length, "the builds differ in assets").toBeGreaterThan(0);
  const scripts = await page.evaluate(() =>
    Array.from(document.scripts, (script) => script.src),
  );
  for (const name of removed) {
    expect(scripts.join(" "), `page loads ${name}`).not.toContain(name);
  }
  await expect
    .poll(
      async () => {
        const urls = await cachedUrls(page);
        return removed.filter((name) => urls.some((url) => url.includes(name)));
      },
      { message: "first build's assets left in the caches" },
    )
    .toEqual([]);
  expect(failures, "failed file responses").toEqual([]);
  await context.close();
});
