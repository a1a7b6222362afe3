import { describe, expect, it } from "vitest";
import { removeDevices } from "../../../pwa/src/crypto/group.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  clearVerification,
  markVerified as storeVerification,
} from "../../../pwa/src/data/verification.ts";
import {
  chatSafetyNumber,
  checkKeyChanges,
} from "../../../pwa/src/crypto/verification.ts";
import {
  CHAT,
  addAndDeliver,
  deliverCommit,
  groupOf,
  newDevice,
  type TestDevice,
} from "../crypto/fixtures.ts";

/** Marks `peer` verified on `device` with the key set its group shows. */
async function markVerified(device: TestDevice, peer: TestDevice) {
  const result = await chatSafetyNumber(CHAT, peer.userId, device.db);
  if (result.status !== "ready") throw new Error("no safety number");
  await device.db.verifications.put({
    userId: peer.userId,
    keySetHash: result.peerKeySetHash,
    verifiedAt: Date.now(),
  });
}

describe("chat safety number", () => {
  it("is the same on both devices", async () => {
    const [alice, bob] = await groupOf(2);
    const fromAlice = await chatSafetyNumber(CHAT, bob.userId, alice.db);
    const fromBob = await chatSafetyNumber(CHAT, alice.userId, bob.db);
    expect(fromAlice.status).toBe("ready");
    expect(fromBob.status).toBe("ready");
    if (fromAlice.status !== "ready" || fromBob.status !== "ready") return;
    expect(fromAlice.number.digits).toMatch(/^\d{60}$/);
    expect(fromAlice.number.digits).toBe(fromBob.number.digits);
  });

  it("is not set up without a group", async () => {
    const alice = await newDevice();
    const result = await chatSafetyNumber(CHAT, "u_bob", alice.db);
    expect(result).toEqual({ status: "not_set_up" });
  });

  it("is not set up before the contact joins", async () => {
    const [alice] = await groupOf(2);
    const result = await chatSafetyNumber(CHAT, "u_stranger", alice.db);
    expect(result).toEqual({ status: "not_set_up" });
  });

  it("changes when the contact adds a device", async () => {
    const [alice, bob] = await groupOf(2);
    const before = await chatSafetyNumber(CHAT, bob.userId, alice.db);
    const bobLaptop = await newDevice(bob.userId);
    await addAndDeliver(alice, [alice, bob], [bobLaptop]);
    const after = await chatSafetyNumber(CHAT, bob.userId, alice.db);
    expect(before.status).toBe("ready");
    expect(after.status).toBe("ready");
    if (before.status !== "ready" || after.status !== "ready") return;
    expect(after.number.digits).not.toBe(before.number.digits);
  });
});

describe("key change notices", () => {
  it("records nothing for the first key set", async () => {
    const [alice] = await groupOf(2);
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
    expect(await alice.db.keyChangeNotices.count()).toBe(0);
  });

  it("records a new device once", async () => {
    const [alice, bob] = await groupOf(2);
    await checkKeyChanges(CHAT, alice.db);
    const bobLaptop = await newDevice(bob.userId);
    await addAndDeliver(alice, [alice, bob], [bobLaptop]);

    const notices = await checkKeyChanges(CHAT, alice.db);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.userId).toBe(bob.userId);
    expect(notices[0]?.chatId).toBe(CHAT);
    expect(notices[0]?.kind).toBe("keys_changed");
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
    expect(await alice.db.keyChangeNotices.count()).toBe(1);
  });

  it("records a removed device", async () => {
    const [alice, bob] = await groupOf(2);
    const bobLaptop = await newDevice(bob.userId);
    await addAndDeliver(alice, [alice, bob], [bobLaptop]);
    await checkKeyChanges(CHAT, alice.db);

    const body = await removeDevices(alice.store, CHAT, [bobLaptop]);
    await deliverCommit(body, [alice, bob]);
    const notices = await checkKeyChanges(CHAT, alice.db);
    expect(notices.map((notice) => notice.kind)).toEqual(["keys_changed"]);
  });

  it("ignores this user's own devices", async () => {
    const [alice, bob] = await groupOf(2);
    await checkKeyChanges(CHAT, alice.db);
    const aliceLaptop = await newDevice(alice.userId);
    await addAndDeliver(bob, [alice, bob], [aliceLaptop]);
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
  });

  it("clears the verified mark on a change", async () => {
    const [alice, bob] = await groupOf(2);
    await checkKeyChanges(CHAT, alice.db);
    await markVerified(alice, bob);
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
    expect(await alice.db.verifications.get(bob.userId)).toBeDefined();

    const bobLaptop = await newDevice(bob.userId);
    await addAndDeliver(alice, [alice, bob], [bobLaptop]);
    const notices = await checkKeyChanges(CHAT, alice.db);
    expect(notices.map((notice) => notice.kind)).toEqual([
      "verified_keys_changed",
    ]);
    expect(await alice.db.verifications.get(bob.userId)).toBeUndefined();
    expect(await checkKeyChanges(CHAT, alice.db)).toEqual([]);
  });

  it("keeps the mark of an unchanged contact", async () => {
    const [alice, bob, carol] = await groupOf(3);
    await checkKeyChanges(CHAT, alice.db);
    await markVerified(alice, bob);
    const carolLaptop = await newDevice(carol.userId);
    await addAndDeliver(alice, [alice, bob, carol], [carolLaptop]);

    const notices = await checkKeyChanges(CHAT, alice.db);
    expect(notices.map((notice) => notice.userId)).toEqual([carol.userId]);
    expect(await alice.db.verifications.get(bob.userId)).toBeDefined();
  });
});

describe("verified mark", () => {
  it("is stored and cleared", async () => {
    await storeVerification("u_ana", "hash-1");
    const row = await db.verifications.get("u_ana");
    expect(row?.keySetHash).toBe("hash-1");
    expect(row?.verifiedAt).toBeGreaterThan(0);

    await clearVerification("u_ana");
    expect(await db.verifications.get("u_ana")).toBeUndefined();
  });
});
