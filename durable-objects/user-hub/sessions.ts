import {
  CLOSE_SESSION_REVOKED,
  type Device,
  type Me,
} from "../../protocol/index.ts";
import {
  base64url,
  constantTimeEqual,
  randomBytes,
  sha256Hex,
} from "../../worker/crypto.ts";
import { log } from "../../worker/log.ts";
import { v7 as uuidv7 } from "uuid";
import type { DeviceSockets } from "./sockets.ts";
import type { HubStore } from "./store.ts";

/** lastActiveAt is written at most this often per device. */
const TOUCH_INTERVAL_MS = 60_000;

export interface NewSession {
  deviceId: string;
  /** 32 random bytes, base64url; only its SHA-256 is stored. */
  secret: string;
  me: Me;
}

/** Creates a device session, creating the profile on first sign-in. */
export async function createSession(
  store: HubStore,
  userId: string,
  phone: string,
  deviceName: string,
): Promise<NewSession> {
  const now = Date.now();
  store.createProfile(userId, phone, now);
  const secretBytes = randomBytes(32);
  const secret = base64url(secretBytes);
  const deviceId = uuidv7();
  store.addDevice({
    id: deviceId,
    name: deviceName,
    secret_hash: await sha256Hex(secret),
    created_at: now,
    last_active_at: now,
  });
  log("session.created", { userId, deviceId });
  return { deviceId, secret, me: requireMe(store) };
}

/** Returns the account when `secret` belongs to a live device, else null. */
export async function authenticate(
  store: HubStore,
  deviceId: string,
  secret: string,
): Promise<Me | null> {
  const device = store.device(deviceId);
  const me = store.me();
  if (device === undefined || me === undefined) return null;
  const valid = await constantTimeEqual(
    await sha256Hex(secret),
    device.secret_hash,
  );
  if (!valid) return null;
  const now = Date.now();
  if (now - device.last_active_at >= TOUCH_INTERVAL_MS)
    store.touchDevice(deviceId, now);
  return me;
}

/** Lists the devices signed in to this account, marking the caller's. */
export function listDevices(
  store: HubStore,
  currentDeviceId: string,
): Device[] {
  return store.devices().map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    lastActiveAt: row.last_active_at,
    current: row.id === currentDeviceId,
  }));
}

/** Returns the account. Throws when the profile does not exist yet. */
export function requireMe(store: HubStore): Me {
  const me = store.me();
  if (me === undefined) throw new Error("profile missing");
  return me;
}

/** Ends a device's session and closes its sockets with 4001 at once. */
export function revokeDevice(
  store: HubStore,
  sockets: DeviceSockets,
  deviceId: string,
): boolean {
  const existed = store.deleteDevice(deviceId);
  sockets.closeDevice(deviceId, CLOSE_SESSION_REVOKED, "session revoked");
  log("session.revoked", { userId: store.me()?.id, deviceId, existed });
  return existed;
}
