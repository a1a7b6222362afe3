import {
  defaultLifetime,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  type KeyPackage,
  type PrivateKeyPackage,
} from "ts-mls";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import type { PublishKeysBody } from "../../../protocol/mls.ts";
import type { MlsKeyPackageRow } from "../data/db.ts";
import { decodeMessage } from "./codec.ts";
import { fromBase64url, toBase64url } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import type { DeviceIdentity } from "./identity.ts";
import type { MlsStore } from "./store.ts";
import { capabilities, cipherSuite } from "./suite.ts";

/** A KeyPackage of this device with its private keys. */
export interface OwnKeyPackage {
  publicPackage: KeyPackage;
  privatePackage: PrivateKeyPackage;
}

/**
 * Generates `count` KeyPackages, and a last-resort KeyPackage when
 * `lastResort` is set, stores their private parts and returns the public
 * parts as the body of a publish request.
 */
export async function generateKeyPackages(
  store: MlsStore,
  identity: DeviceIdentity,
  count: number,
  options: { lastResort: boolean },
): Promise<PublishKeysBody> {
  const stock: MlsKeyPackageRow[] = [];
  for (let i = 0; i < count; i++) {
    stock.push(await newKeyPackageRow(identity, "stock"));
  }
  const lastResort = options.lastResort
    ? await newKeyPackageRow(identity, "last_resort")
    : undefined;
  const rows = lastResort === undefined ? stock : [...stock, lastResort];
  await store.addKeyPackages(rows);
  // NOTE: a Welcome made from the replaced last-resort KeyPackage before
  // the server stored the new one can no longer be joined, so the device
  // must request to be added again.
  if (lastResort !== undefined) {
    await store.deleteLastResortExcept(lastResort.ref);
  }
  return {
    keyPackages: stock.map((row) => toBase64url(row.keyPackage)),
    ...(lastResort && { lastResort: toBase64url(lastResort.keyPackage) }),
  };
}

/** Makes a fresh KeyPackage in memory only, as the first leaf of a group. */
export async function newKeyPackage(
  identity: DeviceIdentity,
): Promise<OwnKeyPackage> {
  return generateKeyPackageWithKey(
    identity.credential,
    capabilities,
    defaultLifetime,
    [],
    {
      signKey: identity.signaturePrivateKey,
      publicKey: identity.signaturePublicKey,
    },
    await cipherSuite(),
  );
}

async function newKeyPackageRow(
  identity: DeviceIdentity,
  kind: MlsKeyPackageRow["kind"],
): Promise<MlsKeyPackageRow> {
  const { publicPackage, privatePackage } = await newKeyPackage(identity);
  const suite = await cipherSuite();
  const ref = await makeKeyPackageRef(publicPackage, suite.hash);
  return {
    ref: toBase64url(ref),
    kind,
    keyPackage: encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_key_package",
      keyPackage: publicPackage,
    }),
    initPrivateKey: privatePackage.initPrivateKey,
    hpkePrivateKey: privatePackage.hpkePrivateKey,
    createdAt: Date.now(),
  };
}

/** Rebuilds a stored KeyPackage with its private keys. */
export function restoreKeyPackage(
  row: MlsKeyPackageRow,
  identity: DeviceIdentity,
): OwnKeyPackage {
  const publicPackage = decodeKeyPackage(row.keyPackage);
  if (publicPackage === null) {
    throw new MlsOperationError(
      "malformed",
      `Stored KeyPackage ${row.ref} cannot be decoded.`,
    );
  }
  return {
    publicPackage,
    privatePackage: {
      initPrivateKey: row.initPrivateKey,
      hpkePrivateKey: row.hpkePrivateKey,
      signaturePrivateKey: identity.signaturePrivateKey,
    },
  };
}

/** Decodes a base64url `MLSMessage` that contains a KeyPackage. */
export function parseKeyPackage(text: string): KeyPackage | null {
  const bytes = fromBase64url(text);
  return bytes === null ? null : decodeKeyPackage(bytes);
}

function decodeKeyPackage(bytes: Uint8Array): KeyPackage | null {
  const message = decodeMessage(bytes);
  return message?.wireformat === "mls_key_package" ? message.keyPackage : null;
}
