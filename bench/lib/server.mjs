// @ts-check
// Starts `wrangler dev` on a free port of 127.0.0.1 with an empty state
// folder, waits until it answers, and stops it again.
import { spawn } from "node:child_process";
import {
  cpSync,
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Time allowed for wrangler to build the Worker and start workerd. */
const START_TIMEOUT_MS = 90_000;

/** @returns {Promise<number>} a port that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {{ origin: string, logPath: string, pid: number,
 *   stop: () => Promise<void>, logLines: () => string[],
 *   cpuSeconds: () => number }} Server
 */

/** Clock ticks per second of /proc/PID/stat on Linux. */
const CLOCK_TICKS = 100;

/**
 * Returns the CPU seconds (user and system) used so far by `rootPid` and
 * every process below it, read from /proc, so it counts both workerd
 * processes that wrangler starts. Returns NaN where /proc is missing.
 *
 * @param {number} rootPid
 */
export function treeCpuSeconds(rootPid) {
  /** @type {Map<number, { parent: number, ticks: number }>} */
  const processes = new Map();
  let names;
  try {
    names = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return NaN;
  }
  for (const name of names) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the command name, which may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(name), {
        parent: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  let ticks = 0;
  for (const [pid, info] of processes) {
    let ancestor = pid;
    let parent = info.parent;
    while (ancestor !== rootPid && parent > 1) {
      ancestor = parent;
      parent = processes.get(parent)?.parent ?? 0;
    }
    if (ancestor === rootPid) ticks += info.ticks;
  }
  return ticks / CLOCK_TICKS;
}

/**
 * Returns the pid, resident memory (VmRSS) and command line of every
 * `workerd` process below `rootPid`, read from /proc. Returns an empty list
 * where /proc is missing.
 *
 * @param {number} rootPid
 * @returns {{ pid: number, rssKiB: number, commandLine: string }[]}
 */
export function workerdProcesses(rootPid) {
  /** @type {Map<number, { parent: number, command: string }>} */
  const processes = new Map();
  let names;
  try {
    names = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  for (const name of names) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      processes.set(Number(name), { parent: Number(fields[1]), command });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const result = [];
  for (const [pid, info] of processes) {
    if (info.command !== "workerd") continue;
    let parent = info.parent;
    while (parent !== rootPid && parent > 1) {
      parent = processes.get(parent)?.parent ?? 0;
    }
    if (parent !== rootPid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .split("\0")
        .join(" ");
      result.push({ pid, rssKiB, commandLine });
    } catch {
      // The process ended after the listing.
    }
  }
  return result;
}

/**
 * Starts `wrangler dev` for `config`, with `vars` passed as `--var`.
 * Requests reach the Worker through wrangler's proxy workerd, which is how
 * every figure in the benchmarks is measured.
 *
 * When `assets` is given, a copy of that folder is served, because wrangler
 * reloads the Worker, dropping its sockets, whenever the served folder
 * changes, as it does when the app is rebuilt during a run.
 *
 * @param {{ name: string, config: string, vars?: Record<string, string>,
 *   probePath: string, assets?: string }} options
 * @returns {Promise<Server>}
 */
export async function startWrangler({
  name,
  config,
  vars = {},
  probePath,
  assets,
}) {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  const logPath = join(stateDir, "server.log");
  const logFile = createWriteStream(logPath);
  /** @type {string[]} */
  const lines = [];
  /** @type {string[]} */
  const assetArgs = [];
  if (assets !== undefined) {
    const copy = join(stateDir, "assets");
    cpSync(assets, copy, { recursive: true });
    assetArgs.push("--assets", copy);
  }
  const args = [
    "wrangler",
    "dev",
    "--config",
    config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--persist-to",
    join(stateDir, "state"),
    "--inspector-port",
    String(await freePort()),
    "--log-level",
    "log",
    ...Object.entries(vars).flatMap(([key, value]) => [
      "--var",
      `${key}:${value}`,
    ]),
    ...assetArgs,
  ];
  const child = spawn("npx", args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CI: "1",
      // wrangler 4.164 turns on a local trace collector by default. It
      // streams a trace of every Worker and Durable Object invocation to a
      // collector that writes it to disk. In a 32-member chat on 2 cores
      // that was about half of the app's CPU per message, a step that
      // deployed Workers do not have.
      X_LOCAL_OBSERVABILITY: "false",
    },
  });
  let buffered = "";
  const collect = (/** @type {Buffer} */ chunk) => {
    logFile.write(chunk);
    buffered += chunk.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    }
    logFile.end();
    rmSync(join(stateDir, "state"), { recursive: true, force: true });
    rmSync(join(stateDir, "assets"), { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(origin + probePath);
      await response.arrayBuffer();
      const cpuSeconds = () => treeCpuSeconds(child.pid ?? 0);
      return {
        origin,
        logPath,
        pid: child.pid ?? 0,
        stop,
        logLines: () => lines,
        cpuSeconds,
      };
    } catch {
      await sleep(250);
    }
  }
  await stop();
  throw new Error(`wrangler dev for ${name} did not start; see ${logPath}`);
}

/** Longest wait for a server to become idle between two sections. */
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * Waits until `server` used less than 0.1 CPU seconds in one second, so
 * work left over from one section (closing a thousand sockets, presence
 * changes) does not slow down the next one.
 *
 * @param {Server} server
 */
export async function waitForIdle(server) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let before = server.cpuSeconds();
  while (Date.now() < deadline) {
    await sleep(1000);
    const now = server.cpuSeconds();
    if (!(now - before >= 0.1)) return;
    before = now;
  }
}

/** @param {number} ms */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
