import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Worker tests of group calls on RealtimeKit. The room reads the provider
// from its own bindings, which one run cannot change, so these tests run
// with GROUP_CALL_PROVIDER "realtimekit" apart from the other Worker tests.
// The REST API base points at a host that the tests fake with a fetch
// mock; nothing leaves the test.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "development",
          GROUP_CALL_PROVIDER: "realtimekit",
          REALTIMEKIT_API_URL: "https://rtk.example/client/v4/",
          REALTIMEKIT_ACCOUNT_ID: "account123",
          REALTIMEKIT_APP_ID: "app123",
          REALTIMEKIT_API_TOKEN: "api-token",
          REALTIMEKIT_PRESET: "group_call_participant",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/realtimekit*.test.ts"],
    setupFiles: ["test/workers/setup.ts"],
    testTimeout: 20_000,
    silent: "passed-only",
  },
});
