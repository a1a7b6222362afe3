// @ts-check
// The local SFU (dev/sfu/server.ts) that `npm start` and `npm run dev` run
// beside wrangler, and the variables that point the Worker at it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startProcess } from "./processes.mjs";

/** Port of the local SFU on 127.0.0.1, 8790 unless SFU_PORT is set. */
export const LOCAL_SFU_PORT = process.env.SFU_PORT ?? "8790";

/**
 * Returns the value of `name` in the .dev.vars file at `path`, if set.
 *
 * @param {string} path
 * @param {string} name
 */
export function devVar(path, name) {
  if (!existsSync(path)) return undefined;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith(`${name}=`)) {
      return trimmed.slice(name.length + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return undefined;
}

/**
 * Starts the local SFU with the app id and secret of .dev.vars (which
 * ensureDevVars writes), and returns the `--var` arguments that point
 * wrangler at it.
 *
 * @param {string} root the repository root
 */
export function startLocalSfu(root) {
  const devVars = join(root, ".dev.vars");
  const appId = devVar(devVars, "SFU_APP_ID");
  const appSecret = devVar(devVars, "SFU_APP_SECRET");
  if (appId === undefined || appSecret === undefined) {
    throw new Error(
      ".dev.vars is missing SFU_APP_ID or SFU_APP_SECRET. Run node scripts/ensure-dev-vars.mjs to add them.",
    );
  }
  startProcess(
    "local SFU",
    process.execPath,
    [join(root, "dev", "sfu", "server.ts"), "--port", LOCAL_SFU_PORT],
    {
      cwd: root,
      env: { SFU_APP_ID: appId, SFU_APP_SECRET: appSecret },
    },
  );
  return ["--var", `SFU_API_URL:http://127.0.0.1:${LOCAL_SFU_PORT}/v1`];
}
