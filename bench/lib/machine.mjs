// @ts-check
// Describes the machine and the software versions behind a benchmark run.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { findChromium } from "../../scripts/ensure-browser.mjs";

/** @param {string} command @param {string[]} args */
function output(command, args) {
  try {
    return execFileSync(command, args, {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return "unknown";
  }
}

/** @param {string} name */
function packageVersion(name) {
  try {
    const url = new URL(
      `../../node_modules/${name}/package.json`,
      import.meta.url,
    );
    return JSON.parse(readFileSync(url, "utf8")).version;
  } catch {
    return "unknown";
  }
}

/** Returns the CPU, memory and versions as label and value pairs. */
export function describeMachine() {
  const chromium = findChromium();
  return [
    { label: "CPU", value: cpus()[0]?.model ?? "unknown" },
    { label: "cores", value: String(cpus().length) },
    { label: "memory", value: `${(totalmem() / 2 ** 30).toFixed(1)} GiB` },
    { label: "Node.js", value: process.version },
    { label: "wrangler", value: packageVersion("wrangler") },
    { label: "workerd", value: packageVersion("workerd") },
    { label: "ts-mls", value: packageVersion("ts-mls") },
    {
      label: "Chromium",
      value: chromium ? output(chromium, ["--version"]) : "not found",
    },
  ];
}
