// @ts-check
// Runs the reconnect storm benchmark on its own. It starts the app under
// `wrangler dev` and lets `--devices=N` devices (default 500) drop and
// resume at once. It prints the results as JSON and as the Markdown section
// of docs/benchmarks.md. It exits with status 1 when a device did not
// resume, a message was lost or duplicated, or the server logged an error.
// `npm run bench -- --only=storm` runs the same measurement in the runner.
import { loadavg } from "node:os";
import { describeMachine } from "./lib/machine.mjs";
import { renderStormSection } from "./lib/report-storm.mjs";
import { startWrangler } from "./lib/server.mjs";
import { reconnectStorm } from "./lib/storm.mjs";

const devicesArgument = process.argv.find((arg) =>
  arg.startsWith("--devices="),
);
const devicesValue = devicesArgument?.slice("--devices=".length) ?? "500";
const devices = Number(devicesValue);
if (!Number.isInteger(devices) || devices < 10 || devices % 10 !== 0) {
  console.error(
    `Invalid --devices value "${devicesValue}": use a multiple of 10 (the group size) of at least 10, such as --devices=500.`,
  );
  process.exit(2);
}

const startedAt = new Date();
const [load] = loadavg();
const app = await startWrangler({
  name: "app",
  config: "wrangler.toml",
  vars: { ENVIRONMENT: "development" },
  probePath: "/api/",
  assets: "dist",
});
let storm;
try {
  storm = await reconnectStorm(app, 0, devices);
} finally {
  await app.stop();
}
console.log(JSON.stringify(storm, null, 2));
console.log(
  [
    `Started ${startedAt.toISOString()}, one-minute load average ${(load ?? NaN).toFixed(1)}.`,
    ...describeMachine().map((m) => `${m.label}: ${m.value}`),
    "",
    renderStormSection(storm),
  ].join("\n"),
);
if (storm.problems.length > 0) {
  console.error(
    `Reconnect storm failed:\n${storm.problems.join("\n")}\nThe server log is ${app.logPath}.`,
  );
  process.exit(1);
}
