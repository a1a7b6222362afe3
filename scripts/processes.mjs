// @ts-check
// Runs several long-lived processes as one: each in its own process group,
// so stopping it also stops what it starts (wrangler runs workerd). Ctrl-C
// or SIGTERM stops them all, and when one exits the others are stopped.
import { spawn } from "node:child_process";

/** @type {import("node:child_process").ChildProcess[]} */
const children = [];
let stopping = false;

/**
 * Starts `command` with `args` in `cwd` and its own process group.
 *
 * @param {string} name label for messages
 * @param {string} command
 * @param {string[]} args
 * @param {{ cwd: string, env?: NodeJS.ProcessEnv }} options
 */
export function startProcess(name, command, args, options) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    detached: true,
    // Without a terminal on stdin no tool binds keyboard shortcuts; a
    // background process group that read the terminal would be stopped.
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...options.env },
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${code ?? signal}); stopping.`);
      stopAll(code ?? 1);
    }
  });
  children.push(child);
}

/**
 * Sends SIGTERM to the process group of every running child.
 *
 * @param {number} exitCode
 */
export function stopAll(exitCode) {
  stopping = true;
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }
  process.exitCode = exitCode;
}

process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));
