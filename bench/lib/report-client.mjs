// @ts-check
// Renders the client section of docs/benchmarks.md: bundle size, ingest,
// opening and scrolling a long chat, and cold start.
import { table } from "./report.mjs";
import { fixed, ratio } from "./stats.mjs";

/** @param {any} open */
function openChatSection(open) {
  if ("error" in open) return `Not measured: ${open.error}`;
  const kib = (/** @type {number} */ bytes) => fixed(bytes / 1024, 0);
  return `The built app (dist/) is served with every \`/api\` request failing,
so it starts offline from IndexedDB. The database is seeded first with a
session and two chats of ${open.long} and ${open.short} messages
(${fixed(open.seedSeconds, 1)} s of bulkPut). Each chat is then opened by
URL in a new page: the time runs from navigation to the newest message
shown, and the heap is read after a garbage collection.

${table(
  ["chat", "to newest message ms", "JS heap KiB", "message rows in the DOM"],
  [
    [
      `${open.short} messages`,
      fixed(open.shortChat.milliseconds, 0),
      kib(open.shortChat.heapBytes),
      String(open.shortChat.rowsInDom),
    ],
    [
      `${open.long} messages`,
      fixed(open.longChat.milliseconds, 0),
      kib(open.longChat.heapBytes),
      String(open.longChat.rowsInDom),
    ],
    [
      "ratio",
      ratio(open.longChat.milliseconds, open.shortChat.milliseconds),
      ratio(open.longChat.heapBytes, open.shortChat.heapBytes),
      "",
    ],
  ],
)}

Target: heap of the long chat within 1.5x that of the short one.`;
}

/** @param {any} bundle */
function bundleSection(bundle) {
  if ("error" in bundle) return `Not measured: ${bundle.error}`;
  return `${table(
    ["file", "bytes", "gzip bytes"],
    bundle.chunks.map((/** @type {any} */ c) => [
      c.file,
      String(c.bytes),
      String(c.gzipBytes),
    ]),
  )}

Total ${bundle.gzipBytes} gzip bytes against a budget of ${bundle.budget}
(\`bench/bundle-size.mjs\`, run by \`npm test\` after the build). Other
screens and libphonenumber-js load as separate chunks when first shown.
Of the total, Dexie is about 31 KB and zod about 25 KB gzipped, measured
once by building each into a chunk of its own. \`zod/mini\`, the
tree-shakable form of zod, bundles a one-object schema into about 4 KB
gzipped. Moving \`protocol/\`, whose schemas use the chained API and are
shared with the Worker, to it was not measured.`;
}

/** Ingest target in messages per second. */
const TARGET_PER_SECOND = 20_000;

/** @param {any} ingest */
function ingestSection(ingest) {
  if ("error" in ingest) return `Not measured: ${ingest.error}`;
  const range = (/** @type {number[] | undefined} */ values) =>
    values === undefined
      ? "n/a"
      : `${fixed(values[0] ?? NaN, 0)} to ${fixed(values[1] ?? NaN, 0)}`;
  /** @param {string} label @param {string} mode */
  const row = (label, mode) => [
    label,
    fixed(ingest[mode], 0),
    range(ingest[`${mode}Range`]),
    ratio(ingest[mode], ingest.floor),
  ];
  return `${ingest.count} new messages of one chat in headless Chromium,
through the data layer (\`bench/client/ingest-entry.ts\`). Sync pages go
through \`applyMessages\` (pwa/src/data/store.ts) one page after the
other, and a burst hands every message to \`handleFrame\` as live \`message\`
frames in one task, as when frames queue up behind a busy tab. The floor
is one bulkPut of the finished rows, built before the clock starts:
IndexedDB alone, with no reads. The key-field floor stores rows of only
the fields the indexes need (id, chatId, seq, order), to show what the
rest of a row costs. Every mode runs once unmeasured, then
${ingest.rounds ?? 1} times in turn; the table gives the median and the range.

${table(
  ["delivery", "messages per second", "range", "share of the floor"],
  [
    row("IndexedDB floor (one bulkPut)", "floor"),
    row("IndexedDB floor, key fields only", "keyFloor"),
    row("sync pages of 200", "pages"),
    row("live frames in one burst", "burst"),
  ],
)}

Target: at least 20,000 messages per second. Each message is one
IndexedDB row, so the floor bounds what batching can reach on this
machine.
${ingestLimit(ingest)}`;
}

/**
 * Explains, from the measured floors, what keeps ingest below the target.
 *
 * @param {any} ingest
 */
function ingestLimit(ingest) {
  if (!(ingest.floor < TARGET_PER_SECOND)) return "";
  const keyFloor = ingest.keyFloor;
  const rows =
    keyFloor < TARGET_PER_SECOND
      ? `Rows of the key fields alone went in at ${fixed(keyFloor, 0)} per
second, so with the table's indexes even a nearly empty row stays below
the target here. The other fields of a finished row (20 in all, with the
body both as stored and as decoded text) bring it down to
${fixed(ingest.floor, 0)}.`
      : `Rows of the key fields alone went in at ${fixed(keyFloor, 0)} per
second, so the other fields of a finished row (20 in all, with the body
both as stored and as decoded text) are what keep the floor at
${fixed(ingest.floor, 0)}.`;
  return `${rows}
Sync pages stay below the burst: each page of 200 is a transaction of its
own, with its own reads of stored ids, folds and the chat's cursor, where
the burst is one transaction.`;
}

/** @param {any} scroll */
function scrollSection(scroll) {
  if (scroll === undefined || "error" in scroll) {
    return `Not measured: ${scroll?.error ?? "no result"}`;
  }
  return `The long chat is opened again and scrolled up with the mouse wheel,
${scroll.wheelPixels} pixels per event and one event per frame, until ${scroll.count}
messages have passed (\`bench/lib/scroll.mjs\`). Long frames are counted
with the Long Animation Frames API and, as a check, from gaps over 50 ms
between \`requestAnimationFrame\` callbacks.

${table(
  [
    "messages scrolled",
    "reached",
    "seconds",
    "frames",
    "long animation frames",
    "rAF gaps over 50 ms",
    "longest frame ms",
  ],
  [
    [
      String(scroll.count),
      scroll.reached ? "yes" : "no",
      fixed(scroll.seconds, 1),
      String(scroll.frames),
      String(scroll.longAnimationFrames),
      String(scroll.frameGaps),
      fixed(scroll.maxFrameMs, 0),
    ],
  ],
)}

Target: no frame longer than 50 ms after the first paint.`;
}

/** @param {any} startup */
function startupSection(startup) {
  if ("error" in startup) return `Not measured: ${startup.error}`;
  return `IndexedDB is seeded with a session and ${startup.chats} chats of
${startup.messages} messages in all (${fixed(startup.seedSeconds, 1)} s of
bulkPut), then the app's root is opened in a new page ${startup.runs} times
and the median is reported (\`bench/lib/cold-start.mjs\`). The time runs
from the start of navigation to the first frame that shows the newest
chat's row. "From the network" fetches every file from a local HTTP server
with no service worker; "offline" has the network cut and the app served
by the service worker. Both run with every \`/api\` request failing, so
no sync competes with the first render.

${table(
  ["start", "to chat list ms", "chat rows in that frame"],
  [
    [
      "from the network",
      fixed(startup.network.milliseconds, 0),
      String(startup.network.rows),
    ],
    [
      "offline (service worker)",
      fixed(startup.offline.milliseconds, 0),
      String(startup.offline.rows),
    ],
  ],
)}`;
}

/**
 * Returns the "Client" section of the page.
 *
 * @param {any} client
 */
export function renderClientSection(client) {
  const load =
    client.loadAverage === undefined
      ? ""
      : `The one-minute load average was ${fixed(client.loadAverage, 1)} on
${client.cores} cores when these benchmarks started, and Chromium's
IndexedDB, rendering and the benchmark share those cores.
`;
  return `## Client

${load}
### First-screen JavaScript

${bundleSection(client.bundle)}

### Ingest into IndexedDB

${ingestSection(client.ingest)}

### Cold start

${startupSection(client.startup)}

### Opening a long chat

${openChatSection(client.openChat)}

### Scrolling a long chat

${scrollSection(client.scroll)}
`;
}
