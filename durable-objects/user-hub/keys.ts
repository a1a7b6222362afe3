import {
  KEY_PACKAGE_LOW_WATER,
  KEY_PACKAGE_STOCK,
  type KeysStatus,
  type PublishKeysBody,
  type ServerFrame,
} from "../../protocol/index.ts";
import { log } from "../../worker/log.ts";
import { fail, ok, type Result } from "../../worker/result.ts";
import type { KeyStore } from "./key-store.ts";
import type { HubStore } from "./store.ts";

export type KeysLowFrame = Extract<ServerFrame, { type: "keys.low" }>;

/** The outcome of a claim for one device: a KeyPackage, or null for none. */
export interface ClaimedKeyPackage {
  deviceId: string;
  keyPackage: string | null;
}

/**
 * The MLS KeyPackages of one person's devices, which other members claim
 * to add a device to a chat's group. Every method runs without an await,
 * so the object's input gate makes each call atomic.
 */
export class KeyDirectory {
  constructor(
    private readonly store: HubStore,
    private readonly keys: KeyStore,
    /** Sends a frame to the open sockets of one device. */
    private readonly sendToDevice: (
      deviceId: string,
      frame: ServerFrame,
    ) => void,
  ) {}

  /** Returns the stock of a device and whether it has a last resort. */
  status(deviceId: string): KeysStatus {
    return {
      stock: this.keys.stock(deviceId),
      lastResort: this.keys.hasLastResort(deviceId),
    };
  }

  /**
   * Adds KeyPackages to a device's stock and replaces its last-resort
   * KeyPackage when the body has one. A publish that would take the stock
   * over KEY_PACKAGE_STOCK is rejected whole with `too_large`, so the
   * device never keeps private keys for KeyPackages the server dropped.
   * KeyPackages already stored do not count against the limit. With
   * `replace`, the device's stock and last resort are deleted first.
   */
  publish(
    deviceId: string,
    body: PublishKeysBody,
    now: number,
  ): Result<KeysStatus> {
    if (this.store.device(deviceId) === undefined) {
      return fail(
        "unauthenticated",
        "This device is signed out; sign in again before publishing keys.",
      );
    }
    // A replace that fails the size check below keeps the old stock.
    const stock = body.replace === true ? 0 : this.keys.stock(deviceId);
    const added =
      body.replace === true
        ? new Set(body.keyPackages).size
        : this.keys.countNew(body.keyPackages);
    if (stock + added > KEY_PACKAGE_STOCK) {
      const room = KEY_PACKAGE_STOCK - stock;
      return fail(
        "too_large",
        `keyPackages: this device has ${stock} of at most ` +
          `${KEY_PACKAGE_STOCK} KeyPackages stored, so ${added} new ones ` +
          `do not fit. Publish at most ${room}.`,
        "keyPackages",
      );
    }
    if (body.replace === true) this.keys.deleteDevice(deviceId);
    this.keys.add(deviceId, body.keyPackages, now);
    if (body.lastResort !== undefined) {
      this.keys.setLastResort(deviceId, body.lastResort, now);
    }
    const status = this.status(deviceId);
    log("keys.published", {
      userId: this.store.me()?.id,
      deviceId,
      added,
      stock: status.stock,
      lastResort: body.lastResort !== undefined,
      replace: body.replace === true,
    });
    return ok(status);
  }

  /**
   * Takes one KeyPackage for each device named, in the order given. A
   * device named twice gets one. A device with an empty stock gets its
   * last-resort KeyPackage, which stays stored. Unknown and revoked
   * devices get null. Each device whose stock is then below
   * KEY_PACKAGE_LOW_WATER gets a `keys.low` frame on its own sockets.
   */
  claim(deviceIds: readonly string[]): ClaimedKeyPackage[] {
    const claimed: ClaimedKeyPackage[] = [];
    for (const deviceId of new Set(deviceIds)) {
      claimed.push({ deviceId, keyPackage: this.claimOne(deviceId) });
    }
    log("keys.claimed", {
      userId: this.store.me()?.id,
      devices: claimed.length,
      unavailable: claimed.filter((c) => c.keyPackage === null).length,
    });
    return claimed;
  }

  /**
   * Takes one KeyPackage of `deviceId`, another device of this person, for
   * `callerId` to seal the chat history to: its stock first, else its last
   * resort.
   */
  claimOwn(callerId: string, deviceId: string): Result<string> {
    if (deviceId === callerId) {
      return fail(
        "invalid_request",
        "deviceId: this is the calling device. Name another device of " +
          "your account.",
        "deviceId",
      );
    }
    if (this.store.device(deviceId) === undefined) {
      return fail(
        "not_found",
        `Device ${deviceId} is not linked to your account.`,
        "deviceId",
      );
    }
    const keyPackage = this.claimOne(deviceId);
    log("keys.claimed_own", {
      userId: this.store.me()?.id,
      deviceId: callerId,
      targetId: deviceId,
      found: keyPackage !== null,
    });
    if (keyPackage === null) {
      return fail(
        "not_found",
        `Device ${deviceId} has published no KeyPackages yet. Try again ` +
          "once it is online.",
        "deviceId",
      );
    }
    return ok(keyPackage);
  }

  /** Returns `keys.low` when the device's stock is below the low water. */
  lowFrame(deviceId: string): KeysLowFrame | undefined {
    const stock = this.keys.stock(deviceId);
    if (stock >= KEY_PACKAGE_LOW_WATER) return undefined;
    return { type: "keys.low", stock };
  }

  /** Deletes the KeyPackages of a device that was revoked. */
  deleteDevice(deviceId: string): void {
    this.keys.deleteDevice(deviceId);
  }

  private claimOne(deviceId: string): string | null {
    if (this.store.device(deviceId) === undefined) return null;
    const keyPackage =
      this.keys.take(deviceId) ?? this.keys.lastResort(deviceId) ?? null;
    const low = this.lowFrame(deviceId);
    if (low !== undefined) this.sendToDevice(deviceId, low);
    return keyPackage;
  }
}
