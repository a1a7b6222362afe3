import { describe, expect, it } from "vitest";
import { decodeMlsMessage } from "ts-mls";
import { fromBase64url } from "../../../pwa/src/crypto/encoding.ts";
import { addDevices, createGroup } from "../../../pwa/src/crypto/group.ts";
import { joinFromWelcome } from "../../../pwa/src/crypto/incoming.ts";
import { generateKeyPackages } from "../../../pwa/src/crypto/key-packages.ts";
import { CHAT, errorCode, newDevice } from "./fixtures.ts";

describe("KeyPackages", () => {
  it("publishes stock and a last resort", async () => {
    const device = await newDevice();
    const before = await device.db.mlsKeyPackages.count();
    const body = await generateKeyPackages(device.store, device.identity, 3, {
      lastResort: true,
    });
    expect(body.keyPackages).toHaveLength(3);
    expect(body.lastResort).toBeDefined();
    for (const text of [...body.keyPackages, body.lastResort ?? ""]) {
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      const bytes = fromBase64url(text) ?? new Uint8Array();
      expect(decodeMlsMessage(bytes, 0)?.[0].wireformat).toBe(
        "mls_key_package",
      );
    }
    expect(await device.db.mlsKeyPackages.count()).toBe(before + 4);
    const kinds = await device.db.mlsKeyPackages
      .where("kind")
      .equals("last_resort")
      .count();
    expect(kinds).toBe(1);
  });

  it("keeps one last resort", async () => {
    const device = await newDevice();
    const options = { lastResort: true };
    await generateKeyPackages(device.store, device.identity, 0, options);
    await generateKeyPackages(device.store, device.identity, 0, options);
    const lastResorts = await device.db.mlsKeyPackages
      .where("kind")
      .equals("last_resort")
      .count();
    expect(lastResorts).toBe(1);
  });

  it("deletes a private part once used", async () => {
    const alice = await newDevice();
    const bob = await newDevice();
    await createGroup(alice.store, alice.identity, CHAT);
    const keyPackage = bob.stock[0] ?? "";
    const claimed = [
      { userId: bob.userId, deviceId: bob.deviceId, keyPackage },
    ];
    const stored = await bob.db.mlsKeyPackages.count();

    const body = await addDevices(alice.store, CHAT, claimed);
    const welcome = {
      welcome: body.welcome ?? "",
      ratchetTree: body.ratchetTree ?? "",
    };
    expect(await joinFromWelcome(bob.store, bob.identity, CHAT, welcome)).toBe(
      1,
    );
    expect(await bob.db.mlsKeyPackages.count()).toBe(stored - 1);

    const again = joinFromWelcome(bob.store, bob.identity, CHAT, welcome);
    expect(await errorCode(again)).toBe("key_package_not_found");
  });

  it("keeps a used last resort", async () => {
    const alice = await newDevice();
    const bob = await newDevice();
    const published = await generateKeyPackages(bob.store, bob.identity, 0, {
      lastResort: true,
    });
    await createGroup(alice.store, alice.identity, CHAT);
    const keyPackage = published.lastResort ?? "";
    const claimed = [
      { userId: bob.userId, deviceId: bob.deviceId, keyPackage },
    ];
    const stored = await bob.db.mlsKeyPackages.count();

    const body = await addDevices(alice.store, CHAT, claimed);
    await joinFromWelcome(bob.store, bob.identity, CHAT, {
      welcome: body.welcome ?? "",
      ratchetTree: body.ratchetTree ?? "",
    });
    expect(await bob.db.mlsKeyPackages.count()).toBe(stored);
  });

  it("rejects one claimed for another device", async () => {
    const alice = await newDevice();
    const bob = await newDevice();
    await createGroup(alice.store, alice.identity, CHAT);
    const claimed = [
      {
        userId: bob.userId,
        deviceId: crypto.randomUUID(),
        keyPackage: bob.stock[0] ?? "",
      },
    ];
    expect(await errorCode(addDevices(alice.store, CHAT, claimed))).toBe(
      "invalid_key_package",
    );
    const garbage = [{ ...claimed[0]!, keyPackage: "AAAA" }];
    expect(await errorCode(addDevices(alice.store, CHAT, garbage))).toBe(
      "invalid_key_package",
    );
  });
});
