// @ts-check
// Idle cost: many connected devices that only ping, for a fixed time. The
// app counts its own Durable Object invocations (GET /api/dev/counters).
// The CPU seconds of the server's processes and the log lines written
// during the idle time are read from outside, next to the floor holding as
// many idle sockets.
import WebSocket from "ws";
import { openSocket, signUpMany } from "./app-client.mjs";
import { readCounts, resetCounts } from "./counts.mjs";
import { sleep } from "./server.mjs";

/** Clients ping every 25 s, the `heartbeatMs` of the `ready` frame. */
const PING_INTERVAL_MS = 25_000;

/**
 * @param {import("./server.mjs").Server} floor
 * @param {import("./server.mjs").Server} app
 * @param {number} firstPhone @param {boolean} quick
 */
export async function idleCost(floor, app, firstPhone, quick) {
  const devices = quick ? 100 : 1000;
  const seconds = quick ? 20 : 60;
  const people = await signUpMany(app.origin, devices, firstPhone);
  /** @type {WebSocket[]} */
  const appSockets = [];
  for (let i = 0; i < people.length; i += 50) {
    const batch = people
      .slice(i, i + 50)
      .map((person) => openSocket(app.origin, person, () => {}));
    appSockets.push(...(await Promise.all(batch)));
  }
  /** @type {WebSocket[]} */
  const floorSockets = [];
  const url = `${floor.origin.replace(/^http/, "ws")}/ws?room=idle`;
  for (let i = 0; i < devices; i += 50) {
    const batch = Array.from(
      { length: Math.min(50, devices - i) },
      () =>
        new Promise((resolve, reject) => {
          const socket = new WebSocket(url);
          socket.once("open", () => resolve(socket));
          socket.once("error", reject);
        }),
    );
    floorSockets.push(.../** @type {WebSocket[]} */ (await Promise.all(batch)));
  }
  // Let the connects settle before the idle time starts.
  await sleep(3000);
  const ping = setInterval(() => {
    for (const socket of appSockets) socket.send('{"type":"ping"}');
  }, PING_INTERVAL_MS);
  const appCpu = app.cpuSeconds();
  const floorCpu = floor.cpuSeconds();
  const appLines = app.logLines().length;
  await resetCounts(app.origin);
  await sleep(seconds * 1000);
  const counts = await readCounts(app.origin);
  const result = {
    invocations: counts.invocations,
    devices,
    seconds,
    appCpuSeconds: app.cpuSeconds() - appCpu,
    floorCpuSeconds: floor.cpuSeconds() - floorCpu,
    appLogLines: app.logLines().slice(appLines),
  };
  clearInterval(ping);
  appSockets.forEach((s) => s.close());
  floorSockets.forEach((s) => s.close());
  return result;
}
