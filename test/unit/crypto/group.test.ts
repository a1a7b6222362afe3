import { describe, expect, it } from "vitest";
import { addDevices, removeDevices } from "../../../pwa/src/crypto/group.ts";
import { processCommit } from "../../../pwa/src/crypto/incoming.ts";
import {
  decryptMessage,
  encryptMessage,
} from "../../../pwa/src/crypto/messages.ts";
import { MlsStore } from "../../../pwa/src/crypto/store.ts";
import { ENCRYPTED_BODY_PREFIX } from "../../../protocol/mls.ts";
import {
  CHAT,
  addAndDeliver,
  claim,
  deliverCommit,
  errorCode,
  groupOf,
  newDevice,
} from "./fixtures.ts";

describe("MLS group messages", () => {
  it("round-trips between two devices", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "hello bob");
    expect(body.startsWith(ENCRYPTED_BODY_PREFIX)).toBe(true);
    expect(body).not.toContain("hello");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("hello bob");

    const reply = await encryptMessage(bob.store, CHAT, "hi alice");
    expect(await decryptMessage(alice.store, CHAT, reply)).toBe("hi alice");
  });

  it("lets all three devices decrypt", async () => {
    const devices = await groupOf(3);
    for (const sender of devices) {
      const text = `from ${sender.deviceId}`;
      const body = await encryptMessage(sender.store, CHAT, text);
      for (const receiver of devices.filter((d) => d !== sender)) {
        expect(await decryptMessage(receiver.store, CHAT, body)).toBe(text);
      }
    }
  });

  it("shuts a removed device out", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const removal = await removeDevices(alice.store, CHAT, [carol]);
    expect(removal.removed).toEqual([carol]);
    await deliverCommit(removal, [alice, bob]);
    const carolOutcome = await processCommit(carol.store, CHAT, removal);
    expect(carolOutcome.removed).toBe(true);

    const body = await encryptMessage(alice.store, CHAT, "without carol");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("without carol");
    expect(await errorCode(decryptMessage(carol.store, CHAT, body))).toBe(
      "removed",
    );
    expect(
      await errorCode(encryptMessage(carol.store, CHAT, "still here?")),
    ).toBe("removed");
  });

  it("keeps a removed device that missed the commit out", async () => {
    const [alice, bob, carol] = await groupOf(3);
    const removal = await removeDevices(alice.store, CHAT, [carol]);
    await deliverCommit(removal, [alice, bob]);

    const body = await encryptMessage(bob.store, CHAT, "new epoch");
    expect(await errorCode(decryptMessage(carol.store, CHAT, body))).toBe(
      "wrong_epoch",
    );
    expect(await decryptMessage(alice.store, CHAT, body)).toBe("new epoch");
  });

  it("hides earlier messages from a joiner", async () => {
    const [alice, bob] = await groupOf(2);
    const before = await encryptMessage(alice.store, CHAT, "before carol");
    const carol = await newDevice();
    await addAndDeliver(bob, [alice, bob], [carol]);

    expect(await errorCode(decryptMessage(carol.store, CHAT, before))).toBe(
      "undecryptable",
    );
    const after = await encryptMessage(alice.store, CHAT, "with carol");
    expect(await decryptMessage(carol.store, CHAT, after)).toBe("with carol");
    expect(await decryptMessage(bob.store, CHAT, before)).toBe("before carol");
  });

  it("decrypts a previous epoch after a commit", async () => {
    const [alice, bob] = await groupOf(2);
    const late = await encryptMessage(alice.store, CHAT, "sent before");
    const carol = await newDevice();
    await addAndDeliver(alice, [alice, bob], [carol]);

    expect(await decryptMessage(bob.store, CHAT, late)).toBe("sent before");
  });

  it("keeps three past epochs", async () => {
    const [alice, bob] = await groupOf(2);
    const third = await encryptMessage(alice.store, CHAT, "three back");
    const fourth = await encryptMessage(alice.store, CHAT, "four back");
    const carol = await newDevice();
    const dave = await newDevice();
    const changes = [
      () => addDevices(alice.store, CHAT, claim([carol])),
      () => removeDevices(alice.store, CHAT, [carol]),
      () => addDevices(alice.store, CHAT, claim([dave])),
      () => removeDevices(alice.store, CHAT, [dave]),
    ];
    for (const [i, change] of changes.entries()) {
      await deliverCommit(await change(), [alice, bob]);
      if (i === 2) {
        expect(await decryptMessage(bob.store, CHAT, third)).toBe("three back");
      }
    }
    expect(await errorCode(decryptMessage(bob.store, CHAT, fourth))).toBe(
      "undecryptable",
    );
  });

  it("rejects a replayed message", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "once");
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("once");
    expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
      "undecryptable",
    );
  });

  it("returns a kept plaintext again", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "kept");
    expect(await decryptMessage(bob.store, CHAT, body, "m1")).toBe("kept");
    // A page that closed before storing the result opens a new store.
    const reopened = new MlsStore(bob.db);
    expect(await decryptMessage(reopened, CHAT, body, "m1")).toBe("kept");
    expect(await errorCode(decryptMessage(reopened, CHAT, body, "m2"))).toBe(
      "undecryptable",
    );
    await reopened.forgetPlaintexts(["m1"]);
    expect(await errorCode(decryptMessage(reopened, CHAT, body, "m1"))).toBe(
      "undecryptable",
    );
  });

  it("drops old kept plaintexts", async () => {
    const [alice, bob] = await groupOf(2);
    const first = await encryptMessage(alice.store, CHAT, "old");
    await decryptMessage(bob.store, CHAT, first, "old-id");
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await encryptMessage(alice.store, CHAT, "new");
    await decryptMessage(bob.store, CHAT, second, "new-id");
    await bob.store.forgetPlaintexts([], 3);
    const kept = await bob.store.plaintexts(["old-id", "new-id"]);
    expect([...kept.entries()]).toEqual([["new-id", "new"]]);
  });

  it("rejects a replay from a previous epoch", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "once");
    const carol = await newDevice();
    // Bob makes the commit, decrypts, and only then meets it in the log.
    const commit = await addDevices(bob.store, CHAT, claim([carol]));
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("once");
    await deliverCommit(commit, [alice, bob]);
    expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
      "undecryptable",
    );
  });

  it("serializes concurrent encrypts on one group", async () => {
    const [alice, bob] = await groupOf(2);
    const bodies = await Promise.all([
      encryptMessage(alice.store, CHAT, "first tab"),
      encryptMessage(alice.store, CHAT, "second tab"),
    ]);
    expect(bodies[0]).not.toBe(bodies[1]);
    const texts = [];
    for (const body of bodies) {
      texts.push(await decryptMessage(bob.store, CHAT, body));
    }
    expect(texts.sort()).toEqual(["first tab", "second tab"]);
  });
});
