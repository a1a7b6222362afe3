import { describe, expect, it } from "vitest";
import { createGroup } from "../../../pwa/src/crypto/group.ts";
import {
  decryptMessage,
  encryptMessage,
} from "../../../pwa/src/crypto/messages.ts";
import { CHAT, errorCode, groupOf, newDevice } from "./fixtures.ts";

const OTHER_CHAT = `g_${crypto.randomUUID()}`;

describe("decrypt failures", () => {
  it("rejects a body without the prefix", async () => {
    const [, bob] = await groupOf(2);
    const body = JSON.stringify({ text: "plain" });
    expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
      "not_encrypted",
    );
  });

  it("rejects garbage after the prefix", async () => {
    const [, bob] = await groupOf(2);
    for (const body of ["mls1:", "mls1:!!!", "mls1:AAAA", "mls1:A"]) {
      expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
        "malformed",
      );
    }
  });

  it("rejects a truncated message", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "cut short");
    const truncated = body.slice(0, -8);
    expect(await errorCode(decryptMessage(bob.store, CHAT, truncated))).toBe(
      "malformed",
    );
    expect(await decryptMessage(bob.store, CHAT, body)).toBe("cut short");
  });

  it("rejects a tampered ciphertext", async () => {
    const [alice, bob] = await groupOf(2);
    const body = await encryptMessage(alice.store, CHAT, "untouched");
    const last = body.at(-2) === "A" ? "B" : "A";
    const tampered = body.slice(0, -2) + last + body.slice(-1);
    expect(await errorCode(decryptMessage(bob.store, CHAT, tampered))).toBe(
      "undecryptable",
    );
  });

  it("rejects a message of another group", async () => {
    const [alice, bob] = await groupOf(2);
    await createGroup(alice.store, alice.identity, OTHER_CHAT);
    const body = await encryptMessage(alice.store, OTHER_CHAT, "elsewhere");
    expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
      "wrong_group",
    );
  });

  it("rejects a chat without group state", async () => {
    const [alice] = await groupOf(2);
    const stranger = await newDevice();
    const body = await encryptMessage(alice.store, CHAT, "members only");
    expect(await errorCode(decryptMessage(stranger.store, CHAT, body))).toBe(
      "no_group",
    );
    expect(await errorCode(encryptMessage(stranger.store, CHAT, "hi"))).toBe(
      "no_group",
    );
  });

  it("rejects a foreign group of the same id", async () => {
    const [, bob] = await groupOf(2);
    const [mallory] = await groupOf(2);
    const body = await encryptMessage(mallory.store, CHAT, "forged");
    expect(await errorCode(decryptMessage(bob.store, CHAT, body))).toBe(
      "undecryptable",
    );
  });
});
