import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

const SCRIPT = join(
  resolve(import.meta.dirname, "../.."),
  "scripts",
  "stop-with-parent.mjs",
);

/**
 * Starts a detached watchdog that stops the process group `groupPid` when
 * this process ends without running its teardown (a killed test run).
 */
export function stopWithThisProcess(groupPid: number): void {
  const watchdog = spawn(
    process.execPath,
    [SCRIPT, String(process.pid), String(groupPid)],
    { detached: true, stdio: "ignore" },
  );
  watchdog.unref();
}
