// Throughput of one two-person chat: how many messages per second the chat
// stores and acknowledges (`send.ok`) and delivers, with the latency of
// each. Both people send from three devices each, because a number may
// receive 3 sign-in codes per 15 minutes, so 3 devices is the most one
// person can sign in here. The app runs with a raised per-device send
// budget (SENDS_PER_SECOND and SEND_BURST in bench/run.mjs), because the
// default of 50 per second would cap six devices at 300 per second.
import WebSocket from "ws";
import { api, openSocket, signUp, uuidv7 } from "./app-client.mjs";
import { sleep } from "./server.mjs";
import { summarize } from "./stats.mjs";

/** Devices per person. */
export const DEVICES = 3;
/** Messages a device keeps in flight without an acknowledgement. */
export const WINDOW = 32;

/**
 * @param {number} started @param {number[]} times
 */
function rate(started, times) {
  if (times.length === 0) return 0;
  const last = Math.max(...times);
  return times.length / ((last - started) / 1000);
}

/**
 * Runs the app's throughput test and returns rates and latencies.
 *
 * @param {string} origin @param {number} firstPhone
 * @param {number} perDevice messages each device sends
 */
export async function appThroughput(origin, firstPhone, perDevice) {
  const a = await signUp(origin, firstPhone);
  const b = await signUp(origin, firstPhone + 1);
  const opened = await api(origin, "POST", "/api/chats/direct", {
    body: { userId: b.userId },
    cookie: a.cookie,
  });
  const chatId = opened.json.chat.id;
  const devices = [a, b];
  for (let i = 1; i < DEVICES; i++) {
    devices.push(
      await signUp(origin, firstPhone),
      await signUp(origin, firstPhone + 1),
    );
  }
  /** @type {Map<string, number>} */
  const sentAt = new Map();
  /** @type {number[]} */ const ackLatency = [];
  /** @type {number[]} */ const ackTimes = [];
  /** @type {number[]} */ const deliverLatency = [];
  /** @type {number[]} */ const deliverTimes = [];
  let rejected = 0;
  /** @type {Array<() => void>} */
  const wakeups = [];
  const inFlight = devices.map(() => 0);
  const sockets = await Promise.all(
    devices.map((person, index) =>
      openSocket(origin, person, (frame, at) => {
        if (frame.type === "send.ok") {
          ackLatency.push(at - (sentAt.get(frame.id) ?? at));
          ackTimes.push(at);
          inFlight[index]--;
          wakeups[index]?.();
        } else if (frame.type === "error") {
          rejected++;
          inFlight[index]--;
          wakeups[index]?.();
        } else if (frame.type === "message" && index === 0) {
          // The first device observes every message of the chat.
          deliverLatency.push(at - (sentAt.get(frame.message.id) ?? at));
          deliverTimes.push(at);
        }
      }),
    ),
  );
  const total = sockets.length * perDevice;
  const started = performance.now();
  await Promise.all(
    sockets.map(async (socket, index) => {
      for (let i = 0; i < perDevice; i++) {
        while (inFlight[index] >= WINDOW) {
          await new Promise((resolve) => {
            wakeups[index] = () => resolve(undefined);
          });
        }
        const id = uuidv7();
        sentAt.set(id, performance.now());
        inFlight[index]++;
        socket.send(
          JSON.stringify({
            type: "send",
            chatId,
            message: { id, kind: "message", body: '{"v":1,"text":"hi"}' },
          }),
        );
      }
    }),
  );
  const deadline = Date.now() + 60_000;
  while (deliverTimes.length < total && Date.now() < deadline) await sleep(50);
  sockets.forEach((s) => s.close());
  return {
    sent: total,
    rejected,
    acked: ackTimes.length,
    delivered: deliverTimes.length,
    ackedPerSecond: rate(started, ackTimes),
    deliveredPerSecond: rate(started, deliverTimes),
    ack: summarize(ackLatency),
    delivery: summarize(deliverLatency),
  };
}

/**
 * Sends the same number of frames through the floor, one sender and one
 * receiver, with the same window, and returns the delivery rate.
 *
 * @param {string} origin @param {number} perDevice
 */
export async function floorThroughput(origin, perDevice) {
  const url = `${origin.replace(/^http/, "ws")}/ws?room=throughput`;
  const open = () =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once("open", () => resolve(socket));
      socket.once("error", reject);
    });
  const sender = /** @type {WebSocket} */ (await open());
  const receiver = /** @type {WebSocket} */ (await open());
  const total = 2 * DEVICES * perDevice;
  /** @type {Map<string, number>} */
  const sentAt = new Map();
  /** @type {number[]} */ const latency = [];
  /** @type {number[]} */ const times = [];
  /** @type {() => void} */
  let wake = () => {};
  receiver.on("message", (data) => {
    const at = performance.now();
    latency.push(at - (sentAt.get(JSON.parse(data.toString()).id) ?? at));
    times.push(at);
    wake();
  });
  const window = 2 * DEVICES * WINDOW;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    while (i - times.length >= window) {
      await new Promise((resolve) => {
        wake = () => resolve(undefined);
      });
    }
    const id = uuidv7();
    sentAt.set(id, performance.now());
    sender.send(JSON.stringify({ id, body: '{"v":1,"text":"hi"}' }));
  }
  const deadline = Date.now() + 30_000;
  while (times.length < total && Date.now() < deadline) await sleep(50);
  sender.close();
  receiver.close();
  return {
    sent: total,
    delivered: times.length,
    deliveredPerSecond: rate(started, times),
    delivery: summarize(latency),
  };
}
