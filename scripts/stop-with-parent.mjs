// Stops a process group once a parent process has gone. Test runs start
// `wrangler dev` in its own process group and stop it in their teardown. A
// run that is killed never reaches its teardown, so this watchdog stops the
// server instead.
// Usage: node scripts/stop-with-parent.mjs PARENT_PID GROUP_PID
// @ts-check
const POLL_MS = 1_000;
const KILL_AFTER_MS = 5_000;

// @ts-check
const parentPid = Number(process.argv[2]);
const groupPid = Number(process.argv[3]);
if (!Number.isInteger(parentPid) || !Number.isInteger(groupPid)) {
  console.error("usage: stop-with-parent.mjs PARENT_PID GROUP_PID");
  process.exit(2);
}

/**
 * Returns whether a process or process group (negative id) exists.
 *
 * @param {number} pid
 */
function exists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends a signal to the group, ignoring a group that already ended.
 *
 * @param {NodeJS.Signals} signal
 */
function signalGroup(signal) {
  try {
    process.kill(-groupPid, signal);
  } catch {
    // The group ended by itself.
  }
}

const timer = setInterval(() => {
  if (!exists(-groupPid)) process.exit(0);
  if (exists(parentPid)) return;
  clearInterval(timer);
  signalGroup("SIGTERM");
  setTimeout(() => {
    signalGroup("SIGKILL");
    process.exit(0);
  }, KILL_AFTER_MS);
}, POLL_MS);
