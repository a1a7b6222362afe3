// @ts-check
// `npm start`: serves the built app with `wrangler dev` on port 8787 (or
// API_PORT) and runs the local SFU for group calls beside it. Ctrl-C stops
// both, and when either exits the other is stopped too.
import { join } from "node:path";
import { ensureDevVars } from "./ensure-dev-vars.mjs";
import { startLocalSfu } from "./local-sfu.mjs";
import { startProcess } from "./processes.mjs";

const ROOT = join(import.meta.dirname, "..");
const API_PORT = process.env.API_PORT ?? "8787";

if (await ensureDevVars(join(ROOT, ".dev.vars"))) {
  console.log("Added missing VAPID keys or SFU credentials to .dev.vars.");
}
const sfuVars = startLocalSfu(ROOT);
startProcess(
  "wrangler",
  join(ROOT, "node_modules", ".bin", "wrangler"),
  [
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
  ],
  // No download of the Request.cf sample from Cloudflare at start.
  { cwd: ROOT, env: { CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);
