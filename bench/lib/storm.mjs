// @ts-check
// Reconnect storm: every device's socket drops at once, messages arrive in
// their groups while they are away, then every device reconnects at the same
// moment and sends `sync` from the position it had. Measures the time until
// each device has its `sync.done`, the server's log lines by event during the
// storm, the resident memory of its workerd processes, and whether each
// device received each message sent during the outage exactly once.
import WebSocket from "ws";
import { api, createGroup, signUpMany, uuidv7 } from "./app-client.mjs";
import { sleep, workerdProcesses } from "./server.mjs";
import { summarize } from "./stats.mjs";

/** People per group chat. Each person has one device. */
const GROUP_SIZE = 10;
/** Messages each group's first member sends while every device is away. */
const MESSAGES_PER_GROUP = 2;
/** Sockets opened at a time while setting up, before the storm. */
const SETUP_BATCH = 50;
/** Time a device may take to resume before the run fails. */
const RESUME_TIMEOUT_MS = 120_000;
/**
 * Backoff of a failed connect, as the app's (`backoffDelay` in
 * pwa/src/data/socket.ts): a random wait below 500 ms, then below twice the
 * previous ceiling, up to 30 s.
 */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/**
 * Wait after the last device resumed, so late live frames and the log
 * lines of the storm still count.
 */
const SETTLE_MS = 3000;
/** Interval of the resident memory samples during the storm. */
const MEMORY_SAMPLE_MS = 100;
/**
 * Log events that report a failure: names with error, fail, reject or
 * uncaught, as the reconnect storm test checks, and the socket limits.
 */
const ERROR_EVENT = /error|fail|reject|uncaught|too_slow|timed_out/i;
/** Lines without a JSON event, such as wrangler's, that report a failure. */
const ERROR_LINE = /error|uncaught|exception/i;
const TEXT = "sent while every device was away";

/**
 * @typedef {{
 *   socket: any,
 *   readyMs: number,
 *   doneMs: number,
 *   inbox: any[],
 *   pageIds: string[],
 *   liveIds: string[],
 *   errorFrames: any[],
 *   attempts: number,
 *   failures: string[],
 * }} Session
 */

/**
 * Returns the UUID string of a 22-character base64url message id, the form
 * of ids in `batch` rows (protocol/batch.ts).
 *
 * @param {string} compact
 */
function uuidOf(compact) {
  const hex = Buffer.from(compact, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Opens one socket of `person`, sends `sync` for `chats` on `ready`, and
 * resolves on `sync.done` of that request. Rejects when the socket fails or
 * closes first. Frames that arrive after `sync.done` keep going into the
 * session's lists until the socket closes. Times are milliseconds since
 * `startedAt` (a `performance.now()` value).
 *
 * @param {string} origin @param {import("./app-client.mjs").Person} person
 * @param {{ chatId: string, afterSeq: number }[]} chats
 * @param {string} rid @param {number} startedAt
 * @param {Session} session
 * @returns {Promise<void>}
 */
function syncOnce(origin, person, chats, rid, startedAt, session) {
  const url = origin.replace(/^http/, "ws") + "/api/ws";
  const socket = new WebSocket(url, { headers: { Cookie: person.cookie } });
  session.socket = socket;
  // Node.js throws an 'error' event that has no listener, so this one stays
  // for errors after the promise settled.
  socket.on("error", () => {});
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("close", (/** @type {number} */ code) => {
      reject(new Error(`socket closed with ${code} before sync.done`));
    });
    socket.on("message", (/** @type {Buffer} */ data) => {
      const frame = JSON.parse(data.toString());
      switch (frame.type) {
        case "ready":
          session.readyMs = performance.now() - startedAt;
          socket.send(
            JSON.stringify({ type: "sync", rid, chats, compact: true }),
          );
          break;
        case "inbox":
          if (frame.rid === rid) session.inbox = frame.chats;
          break;
        case "messages": {
          const ids = frame.messages.map((/** @type {any} */ m) => m.id);
          if (frame.rid === rid) session.pageIds.push(...ids);
          break;
        }
        case "batch":
          if (frame.rid === rid) {
            for (const row of frame.rows) session.pageIds.push(uuidOf(row[0]));
          }
          break;
        case "message":
          session.liveIds.push(frame.message.id);
          break;
        case "error":
          session.errorFrames.push(frame);
          break;
        case "sync.done":
          if (frame.rid === rid) {
            session.doneMs = performance.now() - startedAt;
            resolve();
          }
          break;
      }
    });
  });
}

/**
 * Syncs one device as `syncOnce` does, retrying a failed connect with the
 * app's backoff until `deadline` (a `performance.now()` value). Every failed
 * attempt is kept in `failures`, and a device that never resumed has
 * `doneMs` NaN.
 *
 * @param {string} origin @param {import("./app-client.mjs").Person} person
 * @param {{ chatId: string, afterSeq: number }[]} chats
 * @param {string} rid @param {number} startedAt @param {number} deadline
 * @returns {Promise<Session>}
 */
async function syncDevice(origin, person, chats, rid, startedAt, deadline) {
  /** @type {Session} */
  const session = {
    socket: /** @type {any} */ (undefined),
    readyMs: NaN,
    doneMs: NaN,
    inbox: [],
    pageIds: [],
    liveIds: [],
    errorFrames: [],
    attempts: 0,
    failures: [],
  };
  while (performance.now() < deadline) {
    session.attempts++;
    session.pageIds = [];
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("timed out waiting for sync.done")),
        deadline - performance.now(),
      );
    });
    try {
      await Promise.race([
        syncOnce(origin, person, chats, rid, startedAt, session),
        timeout,
      ]);
      return session;
    } catch (error) {
      session.failures.push(
        error instanceof Error ? error.message : String(error),
      );
      session.socket.terminate();
    } finally {
      clearTimeout(timer);
    }
    const ceiling = Math.min(
      BACKOFF_MAX_MS,
      BACKOFF_BASE_MS * 2 ** (session.attempts - 1),
    );
    const left = Math.max(0, deadline - performance.now());
    await sleep(Math.min(ceiling * Math.random(), left));
  }
  return session;
}

/**
 * Returns the event name of a structured log line (`{"event": …}`), or
 * undefined for any other line.
 *
 * @param {string} line
 */
function eventOf(line) {
  const start = line.indexOf('{"event":');
  if (start < 0) return undefined;
  try {
    return String(JSON.parse(line.slice(start)).event);
  } catch {
    return undefined;
  }
}

/**
 * Counts `lines` by event name. Lines without an event that look like an
 * error are counted under "(other error lines)".
 *
 * @param {string[]} lines
 */
function countEvents(lines) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const line of lines) {
    const event =
      eventOf(line) ??
      (ERROR_LINE.test(line) ? "(other error lines)" : undefined);
    if (event !== undefined) counts[event] = (counts[event] ?? 0) + 1;
  }
  return counts;
}

/**
 * Samples the resident memory of the server's workerd processes every
 * MEMORY_SAMPLE_MS until the returned `stop` is called. `stop` returns, per
 * process, its role, the resident KiB at the start and the highest sample.
 * wrangler's proxy is the workerd that listens on the port of `origin`,
 * and the other one runs the Worker and its Durable Objects.
 *
 * @param {number} rootPid @param {string} origin
 */
function sampleMemory(rootPid, origin) {
  const entry = `--socket-addr=entry=${new URL(origin).host} `;
  /** @type {Map<number, { role: string, startKiB: number, maxKiB: number }>} */
  const byPid = new Map();
  const sample = () => {
    for (const { pid, rssKiB, commandLine } of workerdProcesses(rootPid)) {
      const seen = byPid.get(pid);
      if (seen) {
        seen.maxKiB = Math.max(seen.maxKiB, rssKiB);
        continue;
      }
      const role = commandLine.includes(entry) ? "proxy" : "Worker";
      byPid.set(pid, { role, startKiB: rssKiB, maxKiB: rssKiB });
    }
  };
  sample();
  const timer = setInterval(sample, MEMORY_SAMPLE_MS);
  return () => {
    clearInterval(timer);
    sample();
    return [...byPid.values()];
  };
}

/**
 * Runs the storm with `devices` devices, one person each, on the app
 * `server`, whose phone numbers start at `firstPhone`.
 *
 * @param {import("./server.mjs").Server} server
 * @param {number} firstPhone @param {number} devices
 */
export async function reconnectStorm(server, firstPhone, devices) {
  const origin = server.origin;
  const setupStarted = performance.now();
  console.log(`storm: signing up ${devices} people`);
  const people = await signUpMany(origin, devices, firstPhone);
  /** @type {{ chatId: string, owner: import("./app-client.mjs").Person }[]} */
  const groups = [];
  /** The group chat of each device, by index. @type {string[]} */
  const chatIds = [];
  for (let start = 0; start < devices; start += GROUP_SIZE) {
    const [owner, ...others] = people.slice(start, start + GROUP_SIZE);
    if (!owner) break;
    const chatId = await createGroup(origin, [owner, ...others]);
    groups.push({ chatId, owner });
    chatIds.push(...Array.from({ length: others.length + 1 }, () => chatId));
  }
  const chatOf = (/** @type {number} */ index) => chatIds[index] ?? "";

  // Every device connects once and learns its chat's last sequence, the
  // position it resumes from.
  console.log(`storm: connecting ${devices} devices`);
  /** @type {Session[]} */
  const first = [];
  for (let start = 0; start < devices; start += SETUP_BATCH) {
    const batch = people
      .slice(start, start + SETUP_BATCH)
      .map((person, i) =>
        syncDevice(
          origin,
          person,
          [],
          `first-${start + i}`,
          performance.now(),
          performance.now() + RESUME_TIMEOUT_MS,
        ),
      );
    first.push(...(await Promise.all(batch)));
  }
  const afterSeqs = first.map((session, index) => {
    const row = session.inbox.find((chat) => chat.id === chatOf(index));
    if (!Number.isFinite(session.doneMs) || !row) {
      throw new Error(
        `Device ${index} failed to connect before the storm: ${session.failures.join("; ") || "its chat is missing from the inbox"}. The server log is ${server.logPath}.`,
      );
    }
    return row.lastSeq;
  });
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  // Every socket drops at once. Each is closed without a close frame, as
  // when the network goes, but the server still gets the TCP connection's
  // end at once, where a lost network leaves it to the heartbeat timeout.
  const dropLine = server.logLines().length;
  for (const session of first) session.socket.terminate();

  // While every device is away, each group gets its messages over HTTP.
  /** @type {Map<string, string[]>} */
  const sentByChat = new Map();
  for (const { chatId, owner } of groups) {
    const ids = [];
    for (let i = 0; i < MESSAGES_PER_GROUP; i++) {
      const id = uuidv7();
      await api(origin, "POST", `/api/chats/${chatId}/messages`, {
        body: {
          id,
          kind: "message",
          body: JSON.stringify({ v: 1, text: TEXT }),
        },
        cookie: owner.cookie,
      });
      ids.push(id);
    }
    sentByChat.set(chatId, ids);
  }
  await sleep(SETTLE_MS);
  const dropEvents = countEvents(server.logLines().slice(dropLine));

  console.log(`storm: ${devices} devices reconnect at once`);
  const stormLine = server.logLines().length;
  const stopSampling = sampleMemory(server.pid, origin);
  const cpuBefore = server.cpuSeconds();
  const startedAt = performance.now();
  const deadline = startedAt + RESUME_TIMEOUT_MS;
  const sessions = await Promise.all(
    people.map((person, index) =>
      syncDevice(
        origin,
        person,
        [{ chatId: chatOf(index), afterSeq: afterSeqs[index] }],
        `resume-${index}`,
        startedAt,
        deadline,
      ),
    ),
  );
  const totalMs = performance.now() - startedAt;
  await sleep(SETTLE_MS);
  const cpuSeconds = server.cpuSeconds() - cpuBefore;
  const memory = stopSampling();
  const stormEvents = countEvents(server.logLines().slice(stormLine));
  for (const session of sessions) session.socket.terminate();

  const resumed = sessions.filter((s) => Number.isFinite(s.doneMs));
  let lost = 0;
  let duplicated = 0;
  let alsoLive = 0;
  let unexpected = 0;
  /** @type {string[]} */
  const problems = [];
  sessions.forEach((session, index) => {
    for (const frame of session.errorFrames) {
      problems.push(
        `Device ${index} got an error frame: ${JSON.stringify(frame)}.`,
      );
    }
    if (!Number.isFinite(session.doneMs)) {
      problems.push(
        `Device ${index} did not resume within ${RESUME_TIMEOUT_MS / 1000} s: ${session.failures.join("; ")}.`,
      );
      return;
    }
    const expected = sentByChat.get(chatOf(index)) ?? [];
    for (const id of expected) {
      const inPages = session.pageIds.filter((seen) => seen === id).length;
      const live = session.liveIds.filter((seen) => seen === id).length;
      if (inPages + live === 0) {
        lost++;
        problems.push(`Device ${index} never received message ${id}.`);
      } else if (inPages > 1 || live > 1) {
        duplicated++;
        problems.push(
          `Device ${index} received message ${id} ${inPages} times in sync pages and ${live} times live.`,
        );
      } else if (inPages === 1 && live === 1) {
        alsoLive++;
      }
    }
    unexpected += session.pageIds.filter((id) => !expected.includes(id)).length;
  });
  const retries = sessions.reduce((sum, s) => sum + s.attempts - 1, 0);
  if (retries > 0) {
    problems.push(
      `${retries} connects failed and were retried during the storm.`,
    );
  }
  const errorEvents = Object.entries(stormEvents).filter(
    ([event]) => ERROR_EVENT.test(event) || event === "(other error lines)",
  );
  for (const [event, count] of errorEvents) {
    problems.push(
      `The server logged ${count} "${event}" lines during the storm.`,
    );
  }
  const opened = stormEvents["socket.opened"] ?? 0;
  if (opened !== devices) {
    problems.push(
      `The server logged ${opened} "socket.opened" lines for ${devices} reconnecting devices.`,
    );
  }

  return {
    devices,
    groupSize: GROUP_SIZE,
    messagesPerGroup: MESSAGES_PER_GROUP,
    settleSeconds: SETTLE_MS / 1000,
    setupSeconds,
    resumed: resumed.length,
    ready: summarize(resumed.map((s) => s.readyMs)),
    resume: summarize(resumed.map((s) => s.doneMs)),
    totalMs,
    cpuSeconds,
    retries,
    expectedDeliveries: devices * MESSAGES_PER_GROUP,
    lost,
    duplicated,
    alsoLive,
    unexpected,
    errorFrames: sessions.reduce((sum, s) => sum + s.errorFrames.length, 0),
    dropEvents,
    stormEvents,
    memory,
    problems,
  };
}
