// @ts-check
// Finds a Chromium for the end-to-end tests, installing Playwright's own
// build when none is found. Run as a script it prints the path it found, or
// what to install, and exits non-zero when there is no browser.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

/** Chromium builds of Linux distributions and Google, checked in order. */
const SYSTEM_BROWSERS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
];

/**
 * Returns the Chromium executable to launch, or `undefined` when there is
 * none. The order is `CHROMIUM_PATH`, then the browser that `playwright
 * install chromium` puts in its cache, then the first system browser found.
 *
 * @returns {string | undefined}
 */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new Error(
        `CHROMIUM_PATH=${fromEnv} not found. ` +
          "Point it at a Chromium executable or unset it.",
      );
    }
    return fromEnv;
  }
  const playwrightBrowser = chromium.executablePath();
  if (playwrightBrowser && existsSync(playwrightBrowser)) {
    return playwrightBrowser;
  }
  return SYSTEM_BROWSERS.find((path) => existsSync(path));
}

/** Time allowed for `npx playwright install chromium`: 10 minutes. */
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

/** Text printed when no browser could be found or installed. */
const INSTALL_HELP = `No Chromium found for the end-to-end tests.
Install one of these, then run the tests again:
  - Debian or Ubuntu: sudo apt-get install -y chromium
  - Playwright's build: npx playwright install chromium
  - any other Chromium or Chrome: export CHROMIUM_PATH=/path/to/chrome`;

/**
 * Returns the Chromium executable, running `npx playwright install chromium`
 * first when none is found. Throws with installation help when that fails.
 *
 * @returns {string}
 */
export function ensureChromium() {
  const found = findChromium();
  if (found) return found;
  console.log("No Chromium found; trying: npx playwright install chromium");
  const install = spawnSync("npx", ["playwright", "install", "chromium"], {
    stdio: "inherit",
    // Without network access the download can hang instead of failing.
    timeout: INSTALL_TIMEOUT_MS,
  });
  const installed = install.status === 0 ? findChromium() : undefined;
  if (installed) return installed;
  throw new Error(INSTALL_HELP);
}

const runAsScript =
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(process.argv[1]).href;

if (runAsScript) {
  try {
    console.log(`Chromium: ${ensureChromium()}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
