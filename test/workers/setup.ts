import { afterAll } from "vitest";

// Durable Objects keep working after a test file's last assertion: fan-out
// to hubs and socket-close handlers still write log lines. Tearing the
// runner down while such a line is in flight fails the run, so each file
// waits briefly for that background work.
afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 500));
});
