// Runs the local SFU's spec alone, without the global setup that builds
// on wrangler dev, which that spec does not use:
//   npx playwright test --config playwright.sfu.config.ts
import { defineConfig } from "@playwright/test";
import base from "./playwright.config.ts";

export default defineConfig({
  ...base,
  globalSetup: undefined,
  testMatch: "sfu.spec.ts",
  workers: 1,
});
