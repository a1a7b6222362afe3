import { describe, expect, it } from "vitest";
import {
  addDevices,
  createGroup,
  removeDevices,
} from "../../../pwa/src/crypto/group.ts";
import {
  joinFromWelcome,
  processCommit,
} from "../../../pwa/src/crypto/incoming.ts";
import {
  decryptMessage,
  encryptMessage,
} from "../../../pwa/src/crypto/messages.ts";
import {
  CHAT,
  claim,
  deliverCommit,
  errorCode,
  groupOf,
  newDevice,
} from "./fixtures.ts";

describe("MLS commits", () => {
  it("keeps a pending commit off the state", async () => {
    const [alice, bob] = await groupOf(2);
    const carol = await newDevice();
    const commit = await addDevices(alice.store, CHAT, claim([carol]));
    expect(commit.epoch).toBe(1);
    expect((await alice.db.mlsGroups.get(CHAT))?.epoch).toBe(1);

    const body = await encryptMessage(alice.store, CHAT, "still epoch 1");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("still epoch 1");
  });

  it("applies its own commit from the log", async () => {
    const [alice, bob] = await groupOf(2);
    const carol = await newDevice();
    const commit = await addDevices(alice.store, CHAT, claim([carol]));
    const outcome = await processCommit(alice.store, CHAT, commit);
    expect(outcome).toEqual({ epoch: 2, applied: true, removed: false });
    expect((await alice.db.mlsGroups.get(CHAT))?.pending).toBeNull();
    await processCommit(bob.store, CHAT, commit);

    const body = await encryptMessage(alice.store, CHAT, "epoch 2");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("epoch 2");
  });

  it("drops a pending commit that lost", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const dave = await newDevice();
    const lost = await addDevices(alice.store, CHAT, claim([dave]));
    const won = await removeDevices(bob.store, CHAT, [carol]);
    expect(lost.epoch).toBe(won.epoch);

    await deliverCommit(won, [alice, bob]);
    expect((await alice.db.mlsGroups.get(CHAT))?.pending).toBeNull();
    const skipped = await processCommit(alice.store, CHAT, lost);
    expect(skipped.applied).toBe(false);

    const body = await encryptMessage(alice.store, CHAT, "after bob's");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("after bob's");
  });

  it("skips a commit that added this device", async () => {
    const [alice] = await groupOf(2);
    const carol = await newDevice();
    const commit = await addDevices(alice.store, CHAT, claim([carol]));
    await joinFromWelcome(carol.store, carol.identity, CHAT, {
      welcome: commit.welcome ?? "",
      ratchetTree: commit.ratchetTree ?? "",
    });
    const outcome = await processCommit(carol.store, CHAT, commit);
    expect(outcome).toEqual({ epoch: 2, applied: false, removed: false });
  });

  it("rejects a commit from a later epoch", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const first = await removeDevices(alice.store, CHAT, [carol]);
    await deliverCommit(first, [alice, bob]);
    const dave = await newDevice();
    const second = await addDevices(alice.store, CHAT, claim([dave]));
    // Carol missed the first commit, so the second is not next for her.
    expect(await errorCode(processCommit(carol.store, CHAT, second))).toBe(
      "wrong_epoch",
    );
  });

  it("rejects a garbled commit", async () => {
    const [alice, bob] = await groupOf(2);
    const carol = await newDevice();
    const commit = await addDevices(alice.store, CHAT, claim([carol]));
    const garbled = { epoch: commit.epoch, commit: "AAAA" };
    expect(await errorCode(processCommit(bob.store, CHAT, garbled))).toBe(
      "malformed",
    );
    expect((await processCommit(bob.store, CHAT, commit)).epoch).toBe(2);
  });

  it("rejects creating a group twice", async () => {
    const [alice] = await groupOf(2);
    expect(
      await errorCode(createGroup(alice.store, alice.identity, CHAT)),
    ).toBe("group_exists");
  });

  it("rejects removing a non-member", async () => {
    const [alice] = await groupOf(2);
    const stranger = await newDevice();
    expect(await errorCode(removeDevices(alice.store, CHAT, [stranger]))).toBe(
      "not_in_group",
    );
  });
});
