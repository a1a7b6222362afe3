// @ts-check
// Makes sure .dev.vars, which `wrangler dev` reads, has VAPID keys, so
// notifications work locally, and an app id and secret for the local SFU,
// so group calls work. It adds a fresh VAPID pair when any of its three
// variables is missing, and each missing SFU variable. Other lines are
// kept as they are.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_VAPID_SUBJECT,
  generateVapidKeys,
  vapidLines,
} from "./vapid-keys.mjs";

const VAPID_NAMES = ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"];

/** App id of the local SFU (dev/sfu), which accepts any id it is given. */
const LOCAL_SFU_APP_ID = "local-app";

/**
 * Adds VAPID keys to the .dev.vars file at `path` unless it has all three,
 * and SFU_APP_ID and SFU_APP_SECRET where missing. Returns whether it
 * wrote the file.
 *
 * @param {string} path
 */
export async function ensureDevVars(path) {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const lines = text.split("\n");
  const defined = (/** @type {string} */ name) =>
    lines.some((line) => line.trimStart().startsWith(`${name}=`));
  const hasVapid = VAPID_NAMES.every(defined);
  const hasSfuId = defined("SFU_APP_ID");
  const hasSfuSecret = defined("SFU_APP_SECRET");
  if (hasVapid && hasSfuId && hasSfuSecret) return false;
  // A partial VAPID set would mix keys of two pairs, so it is replaced whole.
  const kept = hasVapid
    ? lines
    : lines.filter(
        (line) =>
          !VAPID_NAMES.some((name) => line.trimStart().startsWith(`${name}=`)),
      );
  while (kept.at(-1) === "") kept.pop();
  const added = hasVapid
    ? []
    : vapidLines(await generateVapidKeys(), DEFAULT_VAPID_SUBJECT);
  if (!hasSfuId) added.push(`SFU_APP_ID=${LOCAL_SFU_APP_ID}`);
  if (!hasSfuSecret) {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24)));
    added.push(`SFU_APP_SECRET=${secret.toString("base64url")}`);
  }
  writeFileSync(path, [...kept, ...added, ""].join("\n"));
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = join(import.meta.dirname, "..", ".dev.vars");
  if (await ensureDevVars(path)) {
    console.log("Added missing VAPID keys or SFU credentials to .dev.vars.");
  }
}
