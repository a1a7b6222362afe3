import { availableParallelism } from "node:os";
import { defineConfig } from "@playwright/test";
import { findChromium } from "./scripts/ensure-browser.mjs";

// Each test drives two or three browser contexts against one wrangler dev
// server, so more than two workers at once would starve the server.
const workers = Math.min(2, availableParallelism());

export default defineConfig({
  testDir: "test/e2e",
  globalSetup: "./test/e2e/global-setup.ts",
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  workers,
  // One retry, because a few multi-device tests have failed once under
  // the load of a full run on two cores. The report lists every test that
  // passed only on its retry as flaky.
  retries: 1,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [["list"], ["html", { open: "never" }]],
  use: {
    actionTimeout: 15_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    locale: "en-US",
    timezoneId: "UTC",
    launchOptions: {
      executablePath: findChromium(),
      // Chromium on Linux names downloads in the locale's charset, so under
      // the C locale (a bare CI shell) it saves any name with non-ASCII
      // characters as "download". Tests save files with such names.
      env: { ...process.env, LC_ALL: "C.UTF-8" },
      args: [
        "--disable-background-networking",
        // A fake camera and microphone, allowed without a prompt, for calls.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        // Without it Chromium gathers no ICE candidate on 127.0.0.1, so it
        // cannot reach the local SFU or another page on loopback.
        "--allow-loopback-in-peer-connection",
      ],
    },
  },
  projects: [{ name: "chromium" }],
});
