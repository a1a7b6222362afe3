import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateVapidKeys } from "./scripts/vapid-keys.mjs";

// A fresh VAPID key pair per run, so the tests never depend on a secret.
const vapid = await generateVapidKeys();

// Worker and Durable Object tests run inside workerd with the bindings of
// wrangler.toml. ENVIRONMENT is "development" here so tests can read codes
// from the SMS outbox. Tests of production behaviour pass an env override
// to the Worker's fetch handler.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "development",
          ALLOWED_ORIGINS: "https://allowed.example",
          VAPID_PUBLIC_KEY: vapid.publicKey,
          VAPID_PRIVATE_KEY: vapid.privateKey,
          VAPID_SUBJECT: "mailto:tests@example.com",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    // These run under vitest.realtimekit.config.ts, with other bindings.
    exclude: ["test/workers/realtimekit*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 20_000,
    silent: "passed-only",
  },
});
