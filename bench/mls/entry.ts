// Measures the client's MLS core (pwa/src/crypto) for one group size. It
// runs in Node.js, bundled by bench/lib/mls.mjs. Every device has its own
// database in fake-indexeddb and goes through the real MlsStore, so each
// operation includes loading and storing the group state.
import "fake-indexeddb/auto";
import type { ClaimReply, CommitBody } from "../../protocol/mls.ts";
import {
  addDevices,
  createGroup,
  decryptMessage,
  encryptMessage,
  generateKeyPackages,
  joinFromWelcome,
  loadOrCreateIdentity,
  MlsStore,
  processCommit,
  type DeviceIdentity,
} from "../../pwa/src/crypto/index.ts";
import { fromBase64url } from "../../pwa/src/crypto/encoding.ts";
import { MessengerDb } from "../../pwa/src/data/db.ts";

/** Characters of each measured message, all ASCII, so also its bytes. */
const MESSAGE_CHARS = 100;
/**
 * Max devices of a group that join it and process its later commits. The
 * commit adds every device, but each further join costs about the same.
 * A join took about 0.3 s in a group of 256 on 2 cores, so joining all of
 * them would add over a minute to the run.
 */
const MAX_JOINED_DEVICES = 32;

interface Device {
  userId: string;
  deviceId: string;
  store: MlsStore;
  identity: DeviceIdentity;
  /** The one published KeyPackage, handed out by `claim`. */
  keyPackage: string;
}

/** A group size to measure and the messages to encrypt in it. */
export interface MlsPlan {
  members: number;
  messages: number;
  /** Unmeasured messages sent first, so the code paths are warm. */
  warmup: number;
}

let databases = 0;

async function newDevice(run: string): Promise<Device> {
  databases += 1;
  const store = new MlsStore(new MessengerDb(`mls-bench-${run}-${databases}`));
  const userId = crypto.randomUUID();
  const deviceId = crypto.randomUUID();
  const identity = await loadOrCreateIdentity(store, userId, deviceId);
  const published = await generateKeyPackages(store, identity, 1, {
    lastResort: false,
  });
  const keyPackage = published.keyPackages[0];
  if (keyPackage === undefined) throw new Error("no KeyPackage generated");
  return { userId, deviceId, store, identity, keyPackage };
}

/** Returns one KeyPackage per device, as the server's claim does. */
function claim(devices: Device[]): ClaimReply["keyPackages"] {
  return devices.map(({ userId, deviceId, keyPackage }) => ({
    userId,
    deviceId,
    keyPackage,
  }));
}

/** Returns the milliseconds `task` took and its result. */
async function timed<T>(task: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await task();
  return [performance.now() - start, result];
}

/** Returns the bytes of a base64url value of a commit body. */
function byteLength(text: string | undefined): number {
  if (text === undefined) return 0;
  const bytes = fromBase64url(text);
  if (bytes === null) throw new Error("commit body value is not base64url");
  return bytes.length;
}

function sizesOf(body: CommitBody) {
  return {
    commitBytes: byteLength(body.commit),
    welcomeBytes: byteLength(body.welcome),
    ratchetTreeBytes: byteLength(body.ratchetTree),
  };
}

/**
 * Joins every device in `joiners` from the Welcome of `body` and returns
 * the milliseconds of each join.
 */
async function joinAll(
  joiners: Device[],
  chatId: string,
  body: CommitBody,
): Promise<number[]> {
  const pending = {
    welcome: body.welcome ?? "",
    ratchetTree: body.ratchetTree ?? "",
  };
  const times: number[] = [];
  for (const device of joiners) {
    const [ms] = await timed(() =>
      joinFromWelcome(device.store, device.identity, chatId, pending),
    );
    times.push(ms);
  }
  return times;
}

/**
 * Creates the group and adds every other device in one commit, then has
 * the creator apply its commit and the other devices of `joined` join.
 */
async function measureCreate(
  devices: Device[],
  joined: Device[],
  chatId: string,
) {
  const [creator, ...others] = devices;
  if (creator === undefined) throw new Error("a group needs a device");
  const [createMs, body] = await timed(async () => {
    await createGroup(creator.store, creator.identity, chatId);
    return addDevices(creator.store, chatId, claim(others));
  });
  const [applyMs] = await timed(() =>
    processCommit(creator.store, chatId, body),
  );
  const joinMs = await joinAll(joined.slice(1), chatId, body);
  return { createMs, applyMs, joinMs, ...sizesOf(body) };
}

/**
 * Adds one more device in its own commit. The creator, which is the first
 * of `devices`, makes and applies it, the other devices process it and
 * the new device joins.
 */
async function measureAdd(devices: Device[], newcomer: Device, chatId: string) {
  const [creator, ...others] = devices;
  if (creator === undefined) throw new Error("a group needs a device");
  const [createMs, body] = await timed(() =>
    addDevices(creator.store, chatId, claim([newcomer])),
  );
  const [applyMs] = await timed(() =>
    processCommit(creator.store, chatId, body),
  );
  const processMs: number[] = [];
  for (const device of others) {
    const [ms, outcome] = await timed(() =>
      processCommit(device.store, chatId, body),
    );
    if (!outcome.applied) throw new Error("a member skipped the add commit");
    processMs.push(ms);
  }
  const [joinMs] = await joinAll([newcomer], chatId, body);
  return { createMs, applyMs, processMs, joinMs, ...sizesOf(body) };
}

/**
 * Has `sender` encrypt and `receiver` decrypt each message in turn, and
 * returns the milliseconds of each step and the length of each body.
 */
async function measureMessages(
  sender: Device,
  receiver: Device,
  chatId: string,
  plan: MlsPlan,
) {
  const encryptMs: number[] = [];
  const decryptMs: number[] = [];
  const bodyBytes: number[] = [];
  for (let i = 0; i < plan.warmup + plan.messages; i++) {
    const text = `${i} `.padEnd(MESSAGE_CHARS, "x");
    const [encrypted, body] = await timed(() =>
      encryptMessage(sender.store, chatId, text),
    );
    const [decrypted, plaintext] = await timed(() =>
      decryptMessage(receiver.store, chatId, body),
    );
    if (plaintext !== text)
      throw new Error(`message ${i} decrypted to other text`);
    if (i < plan.warmup) continue;
    encryptMs.push(encrypted);
    decryptMs.push(decrypted);
    // The body is "mls1:" and base64url, so one byte per character.
    bodyBytes.push(body.length);
  }
  return { plaintextBytes: MESSAGE_CHARS, encryptMs, decryptMs, bodyBytes };
}

/** Returns the bytes of each device's stored group state of the chat. */
async function stateSizes(devices: Device[], chatId: string) {
  const sizes: number[] = [];
  for (const device of devices) {
    const row = await device.store.group(chatId);
    if (row === undefined) throw new Error("a member has no group state");
    sizes.push(row.state.byteLength);
  }
  return sizes;
}

/**
 * Measures one group of `plan.members` devices, each with its own
 * database, and returns the raw samples that bench/lib/mls.mjs summarizes.
 */
export async function measureGroup(plan: MlsPlan) {
  const run = crypto.randomUUID();
  const chatId = `g_${run}`;
  const setupStart = performance.now();
  const devices: Device[] = [];
  for (let i = 0; i < plan.members; i++) devices.push(await newDevice(run));
  const newcomer = await newDevice(run);
  const setupMs = performance.now() - setupStart;
  const joined = devices.slice(0, MAX_JOINED_DEVICES);
  const create = await measureCreate(devices, joined, chatId);
  const [sender, receiver] = joined;
  if (sender === undefined || receiver === undefined) {
    throw new Error("a group needs at least two devices");
  }
  const exchange = await measureMessages(sender, receiver, chatId, plan);
  const stateBytes = await stateSizes(joined, chatId);
  // The add comes last, so the messages and state sizes above are those
  // of a group of exactly `plan.members` devices.
  const add = await measureAdd(joined, newcomer, chatId);
  return { ...plan, setupMs, create, exchange, stateBytes, add };
}
