// @ts-check
// Runs the benchmarks and writes docs/benchmarks.md. `npm run bench` runs
// everything; `npm run bench -- --quick` runs fewer members and messages.
// `--only=throughput,latency` runs the named sections (throughput,
// latency, counts, catch-up, idle, storm, client, mls) and prints their
// results as JSON instead of writing the page. The storm section throws,
// which fails the run, when a device does not resume or a message is lost
// or duplicated (bench/lib/storm.mjs lists every check).
// The app and the floor (bench/floor) run side by side under `wrangler dev`
// on free ports of 127.0.0.1, each with an empty state folder, and every
// server figure is reported next to the floor's from the same run.
// The mls section needs no server, so it runs first, in this process,
// before the servers start.
import { writeFileSync } from "node:fs";
import { format, resolveConfig } from "prettier";
import { appRoom, floorRoom, measureLatency } from "./lib/delivery.mjs";
import { describeMachine } from "./lib/machine.mjs";
import { renderReport } from "./lib/report.mjs";
import { startWrangler, waitForIdle } from "./lib/server.mjs";
import { appThroughput, floorThroughput } from "./lib/throughput.mjs";
import { catchUp } from "./lib/catch-up.mjs";
import { countPerMessage } from "./lib/counts.mjs";
import { idleCost } from "./lib/idle.mjs";
import { reconnectStorm } from "./lib/storm.mjs";
import { clientBenchmarks } from "./lib/client.mjs";
import { mlsBenchmarks } from "./lib/mls.mjs";

const quick = process.argv.includes("--quick");
const SECTIONS = [
  "throughput",
  "latency",
  "counts",
  "catch-up",
  "idle",
  "storm",
  "client",
  "mls",
];
const onlyArgument = process.argv.find((arg) => arg.startsWith("--only="));
const only = onlyArgument?.slice("--only=".length).split(",") ?? SECTIONS;
for (const name of only) {
  if (!SECTIONS.includes(name)) {
    console.error(
      `Unknown section "${name}"; use one of ${SECTIONS.join(", ")}.`,
    );
    process.exit(2);
  }
}

/** Messages each throughput device sends (six devices in all). */
const THROUGHPUT_PER_DEVICE = quick ? 300 : 1000;
/**
 * The app's per-device send budget during the run. The default of 50 per
 * second with bursts of 200 would cap the throughput test's six devices.
 * The counts and latency sections never come near either value.
 */
const BENCH_SEND_BUDGET = {
  SENDS_PER_SECOND: "100000",
  SEND_BURST: "100000",
};
/** Devices that drop and reconnect at once in the storm section. */
const STORM_DEVICES = quick ? 100 : 500;
/** Chat sizes and messages of the per-message counts. */
const COUNT_PLAN = quick
  ? [
      { members: 2, messages: 10 },
      { members: 32, messages: 5 },
    ]
  : [
      { members: 2, messages: 20 },
      { members: 32, messages: 10 },
      { members: 256, messages: 3 },
    ];

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

/** MLS group sizes in devices, and messages encrypted in each. */
const MLS_PLAN = (quick ? [2, 32] : [2, 32, 256]).map((members) => ({
  members,
  messages: 200,
  warmup: WARMUP_MESSAGES,
}));

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

/**
 * Starts the app and the floor, runs the selected sections other than mls
 * into `results`, and stops both servers.
 *
 * @param {Record<string, any>} results
 */
async function runServerSections(results) {
  const floor = await startWrangler({
    name: "floor",
    config: "bench/floor/wrangler.toml",
    probePath: "/",
  });
  /** @type {import("./lib/server.mjs").Server} */
  let app;
  try {
    app = await startWrangler({
      name: "app",
      config: "wrangler.toml",
      vars: { ENVIRONMENT: "development", ...BENCH_SEND_BUDGET },
      probePath: "/api/",
      assets: "dist",
    });
  } catch (error) {
    await floor.stop();
    throw error;
  }
  try {
    // Throughput runs first, on a server that has not yet held the large
    // groups of the latency section.
    if (only.includes("throughput")) {
      console.log("throughput");
      results.throughput = {
        floor: await floorThroughput(floor.origin, THROUGHPUT_PER_DEVICE),
        app: await appThroughput(
          app.origin,
          takePhones(2),
          THROUGHPUT_PER_DEVICE,
        ),
      };
    }
    if (only.includes("latency")) {
      results.latency = await latencySection(floor, app);
    }
    if (only.includes("counts")) {
      results.counts = [];
      for (const { members, messages } of COUNT_PLAN) {
        console.log(`counts: ${members} members, ${messages} messages`);
        await waitForIdle(app);
        results.counts.push(
          await countPerMessage(
            app.origin,
            members,
            messages,
            takePhones(members),
          ),
        );
      }
    }
    if (only.includes("catch-up")) {
      console.log("catch-up");
      await waitForIdle(app);
      results.catchUp = await catchUp(app.origin, takePhones(101), quick);
    }
    if (only.includes("idle")) {
      console.log("idle cost");
      await waitForIdle(app);
      results.idle = await idleCost(floor, app, takePhones(1000), quick);
    }
    if (only.includes("storm")) {
      console.log("reconnect storm");
      await waitForIdle(app);
      results.storm = await reconnectStorm(
        app,
        takePhones(STORM_DEVICES),
        STORM_DEVICES,
      );
      if (results.storm.problems.length > 0) {
        throw new Error(
          `Reconnect storm failed:\n${results.storm.problems.join("\n")}\nThe server log is ${app.logPath}.`,
        );
      }
    }
    if (only.includes("client")) {
      console.log("client");
      results.client = await clientBenchmarks(quick);
    }
  } finally {
    await app.stop();
    await floor.stop();
  }
}

async function main() {
  const startedAt = new Date();
  /** @type {Record<string, any>} */
  const results = {};
  if (only.includes("mls")) {
    console.log("mls");
    results.mls = await mlsBenchmarks(MLS_PLAN);
  }
  if (only.some((name) => name !== "mls")) {
    await runServerSections(results);
  }
  if (only.length < SECTIONS.length) {
    console.log(JSON.stringify(results, null, 2));
    return;
  }
  const report = renderReport({
    startedAt,
    quick,
    machine: describeMachine(),
    ...results,
  });
  const target = new URL("../docs/benchmarks.md", import.meta.url);
  // Formatted as `npm run lint` expects, so a fresh page passes the check.
  const options = (await resolveConfig(target)) ?? {};
  writeFileSync(
    target,
    await format(report, { ...options, parser: "markdown" }),
  );
  console.log("wrote docs/benchmarks.md");
}

await main();
