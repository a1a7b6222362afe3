// @ts-check
// Renders the results of one benchmark run as docs/benchmarks.md.
import { renderClientSection } from "./report-client.mjs";
import { fixed, ratio } from "./stats.mjs";

/** @param {string[]} cells */
const row = (cells) => `| ${cells.join(" | ")} |`;

/** @param {string[]} header @param {string[][]} rows */
export function table(header, rows) {
  return [
    row(header),
    row(header.map(() => "---")),
    ...rows.map((cells) => row(cells)),
  ].join("\n");
}

/** @param {any} latency */
function latencyTable(latency) {
  return table(
    [
      "members",
      "messages",
      "app p50 ms",
      "app p99 ms",
      "app max ms",
      "floor p50 ms",
      "floor p99 ms",
      "floor max ms",
      "p50 ratio",
      "p99 ratio",
      "lost",
    ],
    latency.map((/** @type {any} */ r) => [
      String(r.members),
      String(r.messages),
      fixed(r.app.p50),
      fixed(r.app.p99),
      fixed(r.app.max),
      fixed(r.floor.p50),
      fixed(r.floor.p99),
      fixed(r.floor.max),
      ratio(r.app.p50, r.floor.p50),
      ratio(r.app.p99, r.floor.p99),
      String(r.app.lost + r.floor.lost),
    ]),
  );
}

/** @param {any} t */
function throughputTable(t) {
  return table(
    [
      "",
      "sent",
      "acked/s",
      "delivered/s",
      "ack p99 ms",
      "delivery p50 ms",
      "delivery p99 ms",
    ],
    [
      [
        "app",
        String(t.app.sent),
        fixed(t.app.ackedPerSecond, 0),
        fixed(t.app.deliveredPerSecond, 0),
        fixed(t.app.ack.p99),
        fixed(t.app.delivery.p50),
        fixed(t.app.delivery.p99),
      ],
      [
        "floor",
        String(t.floor.sent),
        "n/a",
        fixed(t.floor.deliveredPerSecond, 0),
        "n/a",
        fixed(t.floor.delivery.p50),
        fixed(t.floor.delivery.p99),
      ],
      [
        "app / floor",
        "",
        "",
        ratio(t.app.deliveredPerSecond, t.floor.deliveredPerSecond),
        "",
        ratio(t.app.delivery.p50, t.floor.delivery.p50),
        ratio(t.app.delivery.p99, t.floor.delivery.p99),
      ],
    ],
  );
}

/**
 * Returns the per-message counts for chats of each size in `sizes`.
 *
 * @param {number[]} sizes
 */
function perMessageTable(sizes) {
  const rows = sizes.map((members) => {
    const receipts = 2 * (members - 1);
    const requests = (members + 1.05) * (1 + receipts);
    const wakeUps = (members + 2) * (1 + receipts);
    // Send: message row, its unique index, one inbox row per member.
    // Receipts: one member row each, plus the reader's inbox row on read.
    const rowsWritten = members + 2 + receipts + (members - 1);
    return [
      String(members),
      fixed(members + 1.05, 2),
      String(members + 2),
      String(members + 2),
      fixed(requests, 0),
      fixed(wakeUps, 0),
      String(rowsWritten),
    ];
  });
  return table(
    [
      "members",
      "send: requests",
      "send: wake-ups",
      "send: rows",
      "with receipts: requests",
      "with receipts: wake-ups",
      "with receipts: rows",
    ],
    rows,
  );
}

/**
 * Returns the Markdown page for one run.
 *
 * @param {any} results
 */
export function renderReport(results) {
  const {
    startedAt,
    quick,
    machine,
    latency,
    throughput,
    catchUp,
    idle,
    client,
  } = results;
  const command = quick ? "npm run bench -- --quick" : "npm run bench";
  return `# Benchmarks

Written by \`${command}\` (\`bench/run.mjs\`) on ${startedAt.toISOString()}.
Rerun it to replace this page. Numbers from a shared or busy machine drift,
so every server figure stands next to the floor's figure from the same run.

## Machine

${table(
  ["", ""],
  machine.map((/** @type {any} */ m) => [m.label, m.value]),
)}

## How the server is measured

- The app runs under \`wrangler dev\` with an empty state folder and
  \`ENVIRONMENT\` "development"; people sign up through \`/api/auth/code\`
  and the development SMS outbox, each from its own \`CF-Connecting-IP\`.
- The floor (\`bench/floor/\`) is a Durable Object that accepts hibernating
  WebSockets and sends each frame to the other sockets of its room: no
  sign-in, no storage, no hubs. It runs under its own \`wrangler dev\`.
- Both are reached through wrangler's proxy workerd, which forwards every
  request and frame to the workerd that runs the Worker. The proxy adds its
  own latency and CPU to both sides, and both share the machine's cores with
  the benchmark's clients, which run in one Node.js process.
- Latency is from \`send\` on the sender's socket to the \`message\` frame on
  each receiver's socket, one clock for both. Each message is sent after
  the previous one reached every receiver; ${WARMUP_NOTE}

## Delivery latency

One connected device per member; the first member sends.

${latencyTable(latency)}

Target: p99 within 3x the floor for 2 and 32 members.

## Throughput of one two-person chat

Both people send from 3 devices each (the most one number can sign in
within 15 minutes), 190 messages per device with up to 32 unacknowledged,
inside the per-device burst of 200 sends. "acked" counts \`send.ok\`
replies, which come after the message is stored; "delivered" counts
\`message\` frames on one device of the chat. The floor sends as many frames
from one socket to another.

${throughputTable(throughput)}

Target: at least 1,000 messages per second with p99 reported. A person's
sustained rate is capped by the limit of 50 sends per second per device.

## Catch-up

One person is offline while ${catchUp.sent} messages (text of 100
characters) arrive in ${catchUp.chats} direct chats, then reconnects and
sends \`sync\` with its positions. Bytes are the UTF-8 text of every frame
received from \`sync\` to \`sync.done\`; payload bytes are the message bodies.

${table(
  [
    "messages received",
    "frames",
    "seconds",
    "bytes",
    "payload bytes",
    "bytes / payload",
  ],
  [
    [
      `${catchUp.received} of ${catchUp.acked} stored`,
      String(catchUp.frames),
      fixed(catchUp.seconds, 2),
      String(catchUp.bytes),
      String(catchUp.payloadBytes),
      ratio(catchUp.bytes, catchUp.payloadBytes),
    ],
  ],
)}

Target: bytes within 1.5x the payload bytes.

## Idle cost

${idle.devices} devices connected and idle for ${idle.seconds} seconds,
pinging every 25 seconds as the app does; the floor holds as many idle
sockets. The app has no handler counter, so the cost is read from outside:
CPU seconds of each server's processes (wrangler, its proxy and workerd)
and the app's log lines in that time.

${table(
  ["", "CPU seconds", "log lines"],
  [
    ["app", fixed(idle.appCpuSeconds, 2), String(idle.appLogLines.length)],
    ["floor", fixed(idle.floorCpuSeconds, 2), "n/a"],
  ],
)}

## Requests, wake-ups and rows per message

Counted from the send, fan-out and receipt code paths, not measured: the
app has no counters for them. N is the number of members; each
recipient sends one \`delivered\` and one \`read\` receipt, and each receipt
is relayed to all N hubs. Incoming WebSocket messages count as 1/20 of a
billed request. [scale.md](scale.md) explains each term.

${perMessageTable([2, 32, 256, 1024])}

${renderClientSection(client)}
`;
}

const WARMUP_NOTE =
  "5 unmeasured messages go first, so objects and connections are warm.";
