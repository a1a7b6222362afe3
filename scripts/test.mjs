// @ts-check
// Runs every check of the project in order: type check, lint, unit tests,
// Worker tests, a build, the size check of the JavaScript that the first
// screen loads, a dry run of the production deploy, then the end-to-end
// tests against that build. A failing stage does not stop the later ones,
// except that the end-to-end tests need a browser and a build. Prints the
// time of each stage and exits non-zero when any stage failed.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ensureChromium } from "./ensure-browser.mjs";

/** Names of the scripts that package.json defines. */
const scriptNames = readScriptNames();

/** @returns {Set<string>} */
function readScriptNames() {
  const url = new URL("../package.json", import.meta.url);
  /** @type {unknown} */
  const packageJson = JSON.parse(readFileSync(url, "utf8"));
  const scripts =
    typeof packageJson === "object" &&
    packageJson !== null &&
    "scripts" in packageJson
      ? packageJson.scripts
      : undefined;
  return new Set(
    typeof scripts === "object" && scripts !== null ? Object.keys(scripts) : [],
  );
}

/** @typedef {{ name: string, ok: boolean, seconds: number, note?: string }} Result */
/** @type {Result[]} */
const results = [];

/**
 * Runs `command` with `args`, inherits the terminal, and records the result.
 *
 * @param {string} name
 * @param {string} command
 * @param {string[]} args
 * @returns {boolean} whether the command exited with 0
 */
function stage(name, command, args) {
  console.log(`\n=== ${name}: ${command} ${args.join(" ")}`);
  const started = performance.now();
  const run = spawnSync(command, args, { stdio: "inherit" });
  const seconds = (performance.now() - started) / 1000;
  const ok = run.status === 0;
  const note = run.error
    ? run.error.message
    : ok
      ? undefined
      : `exit ${run.status ?? run.signal}`;
  results.push({ name, ok, seconds, ...(note ? { note } : {}) });
  return ok;
}

/**
 * Runs the package script `name` when package.json defines it.
 *
 * @param {string} name
 */
function npmScript(name) {
  if (!scriptNames.has(name)) {
    results.push({ name, ok: false, seconds: 0, note: "script missing" });
    return false;
  }
  return stage(name, "npm", ["run", "--silent", name]);
}

/** Finds or installs Chromium and records the result as a stage. */
function browserStage() {
  const started = performance.now();
  try {
    const path = ensureChromium();
    console.log(`\n=== browser: ${path}`);
    results.push({ name: "browser", ok: true, seconds: 0 });
    return true;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(message);
    const seconds = (performance.now() - started) / 1000;
    results.push({ name: "browser", ok: false, seconds, note: message });
    return false;
  }
}

npmScript("typecheck");
npmScript("lint");
npmScript("test:unit");
npmScript("test:workers");
const hasBrowser = browserStage();
const built = npmScript("build");
if (built) {
  stage("bundle size", "node", ["bench/bundle-size.mjs"]);
  // Bundles the Worker and reads the production config as `npm run deploy`
  // would, without uploading, so a broken deploy fails here.
  npmScript("deploy:check");
} else {
  for (const name of ["bundle size", "deploy:check"]) {
    results.push({ name, ok: false, seconds: 0, note: "no build" });
  }
}
if (hasBrowser && built) {
  stage("e2e", "npx", ["playwright", "test"]);
} else {
  results.push({ name: "e2e", ok: false, seconds: 0, note: "not run" });
}

console.log("\nStage          Result  Seconds");
for (const { name, ok, seconds, note } of results) {
  const result = ok ? "passed" : "FAILED";
  const line = `${name.padEnd(14)} ${result}  ${seconds.toFixed(1).padStart(7)}`;
  console.log(note ? `${line}  (${note.split("\n")[0]})` : line);
}
const failed = results.filter((result) => !result.ok).length;
console.log(`stages: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
