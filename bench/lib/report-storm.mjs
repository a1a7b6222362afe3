// @ts-check
// Renders the reconnect storm section of docs/benchmarks.md.
import { table } from "./report.mjs";
import { fixed } from "./stats.mjs";

/**
 * The bound claimed for the time until every device of a 500-device storm
 * has resumed. Two runs on a shared 2-core machine took 1.6 and 1.8 s, and
 * the bound leaves room for a busier machine.
 */
export const STORM_BOUND_SECONDS = 10;

/** @param {number} kib */
const mib = (kib) => fixed(kib / 1024, 0);

/** @param {any} storm */
function resumeTable(storm) {
  return table(
    ["", "p50 ms", "p95 ms", "max ms"],
    [
      [
        "to `ready`",
        fixed(storm.ready.p50, 0),
        fixed(storm.ready.p95, 0),
        fixed(storm.ready.max, 0),
      ],
      [
        "to `sync.done`",
        fixed(storm.resume.p50, 0),
        fixed(storm.resume.p95, 0),
        fixed(storm.resume.max, 0),
      ],
    ],
  );
}

/** @param {any} storm */
function outcomeTable(storm) {
  return table(
    [
      "devices",
      "resumed",
      "all resumed s",
      "server CPU s",
      "retried connects",
      "messages expected",
      "lost",
      "duplicated",
      "error frames",
    ],
    [
      [
        String(storm.devices),
        String(storm.resumed),
        fixed(storm.totalMs / 1000, 1),
        fixed(storm.cpuSeconds, 1),
        String(storm.retries),
        String(storm.expectedDeliveries),
        String(storm.lost),
        String(storm.duplicated),
        String(storm.errorFrames),
      ],
    ],
  );
}

/** @param {any} storm */
function memoryTable(storm) {
  return table(
    ["workerd", "RSS before MiB", "peak RSS MiB"],
    storm.memory.map((/** @type {any} */ p) => [
      p.role,
      mib(p.startKiB),
      mib(p.maxKiB),
    ]),
  );
}

/** @param {Record<string, number>} events */
function eventTable(events) {
  const entries = Object.entries(events).sort(([a], [b]) => a.localeCompare(b));
  return table(
    ["event", "lines"],
    entries.map(([event, count]) => [`\`${event}\``, String(count)]),
  );
}

/** @param {Record<string, number>} events */
function eventList(events) {
  const entries = Object.entries(events).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return "none";
  return entries.map(([event, count]) => `\`${event}\` ${count}`).join(", ");
}

/**
 * Returns the Markdown section of one storm run.
 *
 * @param {any} storm
 */
export function renderStormSection(storm) {
  const met =
    storm.resumed === storm.devices &&
    storm.totalMs <= STORM_BOUND_SECONDS * 1000;
  return `## Reconnect storm

${storm.devices} devices, one person each, in group chats of ${storm.groupSize},
connect and sync once (${fixed(storm.setupSeconds, 0)} s of sign-up and
setup). Then every socket drops at once. The benchmark ends each TCP
connection without a close frame, as when the network goes. While all are
away, the first member of each group sends ${storm.messagesPerGroup}
messages over HTTP. Then every device opens its socket at the same moment
and sends \`sync\` for its chat, with \`compact\` set and the position it
had before the drop. The app would spread these connects over a random
wait of up to 0.5 s. A device has resumed at its \`sync.done\`, and times
run from the moment all sockets start to open. A failed connect would be
retried with the app's backoff (\`backoffDelay\` in
\`pwa/src/data/socket.ts\`).
\`bench/lib/storm.mjs\` fails the run when a device has not resumed after
120 s, or when a message sent during the outage is missing or comes twice,
in the sync pages or live. It also fails when a device gets an \`error\`
frame, a connect fails, or the server logs an event named like an error
(\`error\`, \`fail\`, \`reject\`, \`uncaught\`, \`too_slow\`,
\`timed_out\`) during the storm.

${outcomeTable(storm)}

${resumeTable(storm)}

${storm.alsoLive} messages reached a device both live and in its sync
pages, which the protocol allows. Sync pages held ${storm.unexpected}
messages other than those sent during the outage.

Log lines by event, from the first connect of the storm until ${storm.settleSeconds} s after
the last device resumed:

${eventTable(storm.stormEvents)}

While the sockets dropped and the messages were sent: ${eventList(storm.dropEvents)}.

The server runs two workerd processes, wrangler's proxy and the one that
runs the Worker and its Durable Objects. Their resident memory
(\`VmRSS\`) is read just before the storm and sampled every 100 ms until
${storm.settleSeconds} s after the last device resumed:

${memoryTable(storm)}

Target: all ${storm.devices} devices resume within ${STORM_BOUND_SECONDS} s, with
no message lost or duplicated and no error in the log.${met ? "" : " Not met in this run."}
`;
}
