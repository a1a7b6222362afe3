import { defineConfig } from "vitest/config";

// Unit tests of pure modules and of the PWA data layer, in Node. The data
// layer's tests load fake-indexeddb, so Dexie runs on an in-memory
// IndexedDB.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
    setupFiles: ["test/unit/data/setup.ts"],
    testTimeout: 10_000,
    silent: "passed-only",
  },
});
