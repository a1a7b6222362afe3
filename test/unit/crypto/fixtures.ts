import type {
  ClaimReply,
  CommitBody,
  GroupDevice,
} from "../../../protocol/mls.ts";
import { MessengerDb } from "../../../pwa/src/data/db.ts";
import { MlsOperationError } from "../../../pwa/src/crypto/errors.ts";
import { addDevices, createGroup } from "../../../pwa/src/crypto/group.ts";
import {
  type DeviceIdentity,
  loadOrCreateIdentity,
} from "../../../pwa/src/crypto/identity.ts";
import {
  joinFromWelcome,
  processCommit,
} from "../../../pwa/src/crypto/incoming.ts";
import { generateKeyPackages } from "../../../pwa/src/crypto/key-packages.ts";
import { MlsStore } from "../../../pwa/src/crypto/store.ts";

export const CHAT = `g_${crypto.randomUUID()}`;

/** One browser install: its own IndexedDB database and MLS identity. */
export interface TestDevice extends GroupDevice {
  db: MessengerDb;
  store: MlsStore;
  identity: DeviceIdentity;
  /** Published KeyPackages not claimed yet, like the server's stock. */
  stock: string[];
}

let databases = 0;

/**
 * Makes a device with a fresh database and two published KeyPackages. It
 * belongs to a new user unless `userId` names an existing one.
 */
export async function newDevice(
  userId: string = crypto.randomUUID(),
): Promise<TestDevice> {
  databases += 1;
  const db = new MessengerDb(`mls-test-${databases}`);
  const store = new MlsStore(db);
  const deviceId = crypto.randomUUID();
  const identity = await loadOrCreateIdentity(store, userId, deviceId);
  const published = await generateKeyPackages(store, identity, 2, {
    lastResort: false,
  });
  return {
    userId,
    deviceId,
    db,
    store,
    identity,
    stock: published.keyPackages,
  };
}

/** Hands out one KeyPackage of each device, as the server's claim does. */
export function claim(devices: TestDevice[]): ClaimReply["keyPackages"] {
  return devices.map((device) => {
    const keyPackage = device.stock.shift();
    if (keyPackage === undefined) throw new Error("stock is empty");
    return { userId: device.userId, deviceId: device.deviceId, keyPackage };
  });
}

/**
 * Has `committer` add `joiners` and delivers the commit to every device of
 * `members` (the committer included) and the Welcome to the joiners.
 */
export async function addAndDeliver(
  committer: TestDevice,
  members: TestDevice[],
  joiners: TestDevice[],
): Promise<CommitBody> {
  const body = await addDevices(committer.store, CHAT, claim(joiners));
  await deliverCommit(body, members);
  for (const joiner of joiners) {
    await joinFromWelcome(joiner.store, joiner.identity, CHAT, {
      welcome: body.welcome ?? "",
      ratchetTree: body.ratchetTree ?? "",
    });
  }
  return body;
}

/** Applies a commit on each device, in the order given. */
export async function deliverCommit(
  body: CommitBody,
  devices: TestDevice[],
): Promise<void> {
  for (const device of devices) {
    await processCommit(device.store, CHAT, body);
  }
}

type Devices<N extends 2 | 3> = N extends 2
  ? [TestDevice, TestDevice]
  : [TestDevice, TestDevice, TestDevice];

/** Makes a group of `count` new devices, created by the first one. */
export async function groupOf<N extends 2 | 3>(count: N): Promise<Devices<N>> {
  const devices: TestDevice[] = [];
  for (let i = 0; i < count; i++) devices.push(await newDevice());
  const [creator, ...others] = devices as [TestDevice, ...TestDevice[]];
  await createGroup(creator.store, creator.identity, CHAT);
  await addAndDeliver(creator, [creator], others);
  return devices as Devices<N>;
}

/**
 * Returns the code of the `MlsOperationError` a promise rejects with,
 * "resolved" when it resolves, or the error itself when it is another.
 */
export function errorCode(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (error: unknown) =>
      error instanceof MlsOperationError ? error.code : error,
  );
}
