// @ts-check
// Development with hot reload: runs `wrangler dev` for the API, the local
// SFU for group calls, and the Vite dev server for the PWA, which proxies
// /api (WebSockets included) to wrangler. Ctrl-C stops all three; when one
// exits, the others are stopped too.
import { join } from "node:path";
import { ensureDevVars } from "./ensure-dev-vars.mjs";
import { startLocalSfu } from "./local-sfu.mjs";
import { startProcess } from "./processes.mjs";

const ROOT = join(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const API_PORT = process.env.API_PORT ?? "8787";
const VITE_PORT = process.env.VITE_PORT ?? "5173";

/**
 * Starts a tool of node_modules/.bin in its own process group.
 *
 * @param {string} command
 * @param {string[]} args
 */
function start(command, args) {
  startProcess(command, join(BIN, command), args, {
    cwd: ROOT,
    // No download of the Request.cf sample from Cloudflare at start.
    env: { API_PORT, CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
}

if (await ensureDevVars(join(ROOT, ".dev.vars"))) {
  console.log("Added missing VAPID keys or SFU credentials to .dev.vars.");
}
const sfuVars = startLocalSfu(ROOT);
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
  ...sfuVars,
]);
start("vite", ["--host", "127.0.0.1", "--port", VITE_PORT, "--strictPort"]);
console.log(
  `\nApp with hot reload: http://127.0.0.1:${VITE_PORT}/ ` +
    `(API on http://127.0.0.1:${API_PORT}). Ctrl-C stops all.\n`,
);
