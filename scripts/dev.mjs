// @ts-check
// Development with hot reload: runs `wrangler dev` for the API and the Vite
// dev server for the PWA, which proxies /api (WebSockets included) to it.
// Ctrl-C stops both; when either exits, the other is stopped too.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ensureDevVars } from "./ensure-dev-vars.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const API_PORT = process.env.API_PORT ?? "8787";
const VITE_PORT = process.env.VITE_PORT ?? "5173";

/** @type {import("node:child_process").ChildProcess[]} */
const children = [];
let stopping = false;

/**
 * Starts `command` in its own process group, so that stopping it also stops
 * the processes it starts (wrangler runs workerd).
 *
 * @param {string} command
 * @param {string[]} args
 */
function start(command, args) {
  const child = spawn(join(BIN, command), args, {
    cwd: ROOT,
    detached: true,
    // Without a terminal on stdin neither tool binds keyboard shortcuts; a
    // background process group that read the terminal would be stopped.
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      API_PORT,
      // No download of the Request.cf sample from Cloudflare at start.
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
    },
  });
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${command} exited (${code ?? signal}); stopping.`);
      stopAll(code ?? 1);
    }
  });
  children.push(child);
}

/** @param {number} exitCode */
function stopAll(exitCode) {
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

if (await ensureDevVars(join(ROOT, ".dev.vars"))) {
  console.log("Wrote a fresh VAPID key pair to .dev.vars.");
}
start("wrangler", [
  "dev",
  "--ip",
  "127.0.0.1",
  "--port",
  API_PORT,
  "--persist-to",
  ".wrangler/state",
  "--var",
  "ENVIRONMENT:development",
]);
start("vite", ["--host", "127.0.0.1", "--port", VITE_PORT, "--strictPort"]);
console.log(
  `\nApp with hot reload: http://127.0.0.1:${VITE_PORT}/ ` +
    `(API on http://127.0.0.1:${API_PORT}). Ctrl-C stops both.\n`,
);
