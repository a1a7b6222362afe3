import { describe, expect, it } from "vitest";
import { MessengerDb } from "../../../pwa/src/data/db.ts";
import {
  loadIdentity,
  loadOrCreateIdentity,
} from "../../../pwa/src/crypto/identity.ts";
import { generateKeyPackages } from "../../../pwa/src/crypto/key-packages.ts";
import { MlsStore } from "../../../pwa/src/crypto/store.ts";
import { errorCode } from "./fixtures.ts";

const USER = crypto.randomUUID();
const DEVICE = crypto.randomUUID();

describe("device identity", () => {
  it("persists across a reopen", async () => {
    const name = `identity-${crypto.randomUUID()}`;
    const first = new MessengerDb(name);
    const created = await loadOrCreateIdentity(
      new MlsStore(first),
      USER,
      DEVICE,
    );
    first.close();

    const second = new MessengerDb(name);
    const loaded = await loadIdentity(new MlsStore(second));
    expect(loaded.signaturePublicKey).toEqual(created.signaturePublicKey);
    expect(loaded.signaturePrivateKey).toEqual(created.signaturePrivateKey);
    const again = await loadOrCreateIdentity(
      new MlsStore(second),
      USER,
      DEVICE,
    );
    expect(again.signaturePublicKey).toEqual(created.signaturePublicKey);
    second.close();
  });

  it("names user and device in its credential", async () => {
    const store = new MlsStore(new MessengerDb(crypto.randomUUID()));
    const identity = await loadOrCreateIdentity(store, USER, DEVICE);
    expect(identity.credential.credentialType).toBe("basic");
    const text = new TextDecoder().decode(
      identity.credential.credentialType === "basic"
        ? identity.credential.identity
        : new Uint8Array(),
    );
    expect(text).toBe(`${USER}.${DEVICE}`);
  });

  it("is replaced for another user", async () => {
    const db = new MessengerDb(crypto.randomUUID());
    const store = new MlsStore(db);
    const old = await loadOrCreateIdentity(store, USER, DEVICE);
    await generateKeyPackages(store, old, 2, { lastResort: true });

    const other = crypto.randomUUID();
    const replaced = await loadOrCreateIdentity(store, other, DEVICE);
    expect(replaced.userId).toBe(other);
    expect(replaced.signaturePublicKey).not.toEqual(old.signaturePublicKey);
    expect(await db.mlsKeyPackages.count()).toBe(0);
  });

  it("is missing on a new device", async () => {
    const store = new MlsStore(new MessengerDb(crypto.randomUUID()));
    expect(await errorCode(loadIdentity(store))).toBe("no_identity");
  });
});
