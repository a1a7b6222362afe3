import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 20_000,
    silent: "passed-only",
  },
});
