// @ts-check
// Bundles the MLS benchmark (bench/mls/entry.ts) with esbuild and measures
// each group size in this process. Node.js cannot import the client's
// TypeScript directly, because its type stripping rejects syntax such as
// MlsStore's parameter property.
import { build } from "esbuild";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { summarize } from "./stats.mjs";

/** Bundles the entry into a temporary module and imports it. */
async function loadEntry() {
  const result = await build({
    entryPoints: [new URL("../mls/entry.ts", import.meta.url).pathname],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
  });
  const folder = mkdtempSync(join(tmpdir(), "mls-bench-"));
  try {
    const file = join(folder, "entry.mjs");
    writeFileSync(file, result.outputFiles[0]?.text ?? "");
    return await import(pathToFileURL(file).href);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * Summarizes the raw samples of one group size.
 *
 * @param {any} raw
 */
export function summarizeGroup(raw) {
  const { create, add, exchange } = raw;
  return {
    members: raw.members,
    messages: raw.messages,
    warmup: raw.warmup,
    setupSeconds: raw.setupMs / 1000,
    create: {
      ms: create.createMs,
      commitBytes: create.commitBytes,
      welcomeBytes: create.welcomeBytes,
      ratchetTreeBytes: create.ratchetTreeBytes,
      applyMs: create.applyMs,
      join: summarize(create.joinMs),
    },
    add: {
      ms: add.createMs,
      commitBytes: add.commitBytes,
      welcomeBytes: add.welcomeBytes,
      ratchetTreeBytes: add.ratchetTreeBytes,
      applyMs: add.applyMs,
      process: summarize(add.processMs),
      joinMs: add.joinMs,
    },
    encrypt: summarize(exchange.encryptMs),
    decrypt: summarize(exchange.decryptMs),
    body: {
      plaintextBytes: exchange.plaintextBytes,
      bodyBytes: summarize(exchange.bodyBytes),
      overheadBytes: summarize(
        exchange.bodyBytes.map(
          (/** @type {number} */ bytes) => bytes - exchange.plaintextBytes,
        ),
      ),
    },
    stateBytes: summarize(raw.stateBytes),
  };
}

/**
 * Measures each planned group size in turn.
 *
 * @param {{ members: number, messages: number, warmup: number }[]} plan
 */
export async function mlsBenchmarks(plan) {
  const loadAverage = loadavg()[0];
  const cores = availableParallelism();
  const entry = await loadEntry();
  // One unmeasured group runs first, so the first measured group does not
  // pay for building the cipher suite and for the first runs of the code.
  await entry.measureGroup({ members: 2, messages: 1, warmup: 0 });
  const groups = [];
  for (const step of plan) {
    console.log(`mls: ${step.members} devices, ${step.messages} messages`);
    groups.push(summarizeGroup(await entry.measureGroup(step)));
  }
  return { loadAverage, cores, groups };
}
