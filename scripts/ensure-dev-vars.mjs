// @ts-check
// Makes sure .dev.vars, which `wrangler dev` reads, has VAPID keys, so
// notifications work locally. Adds a fresh pair when any of the three
// variables is missing; other lines are kept as they are.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  DEFAULT_VAPID_SUBJECT,
  generateVapidKeys,
  vapidLines,
} from "./vapid-keys.mjs";

const VAPID_NAMES = ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"];

/**
 * Adds VAPID keys to the .dev.vars file at `path` unless it has all three.
 * Returns whether it wrote the file.
 *
 * @param {string} path
 */
export async function ensureDevVars(path) {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const lines = text.split("\n");
  const defined = (/** @type {string} */ name) =>
    lines.some((line) => line.trimStart().startsWith(`${name}=`));
  if (VAPID_NAMES.every(defined)) return false;
  // A partial set would mix keys of two pairs, so it is replaced whole.
  const otherLines = lines.filter(
    (line) =>
      !VAPID_NAMES.some((name) => line.trimStart().startsWith(`${name}=`)),
  );
  while (otherLines.at(-1) === "") otherLines.pop();
  const keys = await generateVapidKeys();
  const added = vapidLines(keys, DEFAULT_VAPID_SUBJECT);
  writeFileSync(path, [...otherLines, ...added, ""].join("\n"));
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = join(import.meta.dirname, "..", ".dev.vars");
  if (await ensureDevVars(path)) {
    console.log("Wrote a fresh VAPID key pair to .dev.vars.");
  }
}
