// @ts-check
// Runs the benchmarks and writes docs/benchmarks.md. `npm run bench` runs
// everything; `npm run bench -- --quick` runs fewer members and messages.
// The app and the floor (bench/floor) run side by side under `wrangler dev`
// on free ports of 127.0.0.1, each with an empty state folder, and every
// server figure is reported next to the floor's from the same run.
import { writeFileSync } from "node:fs";
import { format, resolveConfig } from "prettier";
import { appRoom, floorRoom, measureLatency } from "./lib/delivery.mjs";
import { describeMachine } from "./lib/machine.mjs";
import { renderReport } from "./lib/report.mjs";
import { startWrangler, waitForIdle } from "./lib/server.mjs";
import { appThroughput, floorThroughput } from "./lib/throughput.mjs";
import { catchUp } from "./lib/catch-up.mjs";
import { idleCost } from "./lib/idle.mjs";
import { clientBenchmarks } from "./lib/client.mjs";

const quick = process.argv.includes("--quick");

/** Chat sizes and measured messages per size. */
const LATENCY_PLAN = quick
  ? [
      { members: 2, messages: 50 },
      { members: 32, messages: 30 },
    ]
  : [
      { members: 2, messages: 200 },
      { members: 32, messages: 100 },
      { members: 256, messages: 30 },
      { members: 1024, messages: 10 },
    ];
/** Unmeasured messages sent first, so objects and connections are warm. */
const WARMUP_MESSAGES = 5;

/** Phone numbers of each section start here, so no two sections share one. */
let nextPhone = 0;
/** @param {number} count */
function takePhones(count) {
  const first = nextPhone;
  nextPhone += count;
  return first;
}

/**
 * @param {import("./lib/server.mjs").Server} floor
 * @param {import("./lib/server.mjs").Server} app
 */
async function latencySection(floor, app) {
  const rows = [];
  for (const { members, messages } of LATENCY_PLAN) {
    console.log(`latency: ${members} members, ${messages} messages`);
    await waitForIdle(app);
    const floorChat = await floorRoom(floor.origin, members);
    await measureLatency(floorChat, WARMUP_MESSAGES);
    const floorResult = await measureLatency(floorChat, messages);
    floorChat.close();
    const appChat = await appRoom(app.origin, members, takePhones(members));
    await measureLatency(appChat, WARMUP_MESSAGES);
    const appResult = await measureLatency(appChat, messages);
    appChat.close();
    rows.push({ members, messages, floor: floorResult, app: appResult });
  }
  return rows;
}

async function main() {
  const startedAt = new Date();
  const floor = await startWrangler({
    name: "floor",
    config: "bench/floor/wrangler.toml",
    probePath: "/",
  });
  const app = await startWrangler({
    name: "app",
    config: "wrangler.toml",
    vars: { ENVIRONMENT: "development" },
    probePath: "/api/",
    assets: "dist",
  });
  try {
    // Throughput runs first, on a server that has not yet held the large
    // groups of the latency section.
    console.log("throughput");
    const throughput = {
      floor: await floorThroughput(floor.origin),
      app: await appThroughput(app.origin, takePhones(2)),
    };
    const latency = await latencySection(floor, app);
    console.log("catch-up");
    await waitForIdle(app);
    const catchUpResult = await catchUp(app.origin, takePhones(101), quick);
    console.log("idle cost");
    await waitForIdle(app);
    const idle = await idleCost(floor, app, takePhones(1000), quick);
    console.log("client");
    const client = await clientBenchmarks(quick);
    const report = renderReport({
      startedAt,
      quick,
      machine: describeMachine(),
      latency,
      throughput,
      catchUp: catchUpResult,
      idle,
      client,
    });
    const target = new URL("../docs/benchmarks.md", import.meta.url);
    // Formatted as `npm run lint` expects, so a fresh page passes the check.
    const options = (await resolveConfig(target)) ?? {};
    writeFileSync(
      target,
      await format(report, { ...options, parser: "markdown" }),
    );
    console.log("wrote docs/benchmarks.md");
  } finally {
    await app.stop();
    await floor.stop();
  }
}

await main();
