import {
  KEY_PACKAGE_STOCK,
  KeysStatus,
  type PublishKeysBody,
} from "../../../protocol/mls.ts";
import {
  generateKeyPackages,
  type DeviceIdentity,
  type MlsStore,
} from "../crypto/index.ts";
import { log } from "../data/log.ts";
import type { HttpClient } from "./types.ts";

/**
 * KeyPackages published in the first request. A device signed up a moment
 * ago must be addable to a chat within a second or two, and generating
 * and signing ten takes well under that on a laptop.
 */
export const FIRST_BATCH = 10;
/** KeyPackages per later request, generated between yields to the page. */
const LATER_BATCH = 10;

/**
 * Tops this device's published KeyPackages up to KEY_PACKAGE_STOCK, and
 * publishes a last-resort KeyPackage when the server has none. The first
 * request carries FIRST_BATCH and the rest follow in batches, each made
 * after a yield, so no batch is a long task. With `replace`, the first
 * request deletes the stock and last resort stored on the server.
 */
export async function topUpKeyPackages(
  http: HttpClient,
  store: MlsStore,
  identity: DeviceIdentity,
  replace = false,
): Promise<KeysStatus> {
  let status: KeysStatus = replace
    ? { stock: 0, lastResort: false }
    : await http("GET", "/keys", KeysStatus);
  let batch = FIRST_BATCH;
  let replacing = replace;
  while (status.stock < KEY_PACKAGE_STOCK || !status.lastResort) {
    const count = Math.min(batch, KEY_PACKAGE_STOCK - status.stock);
    const generated = await generateKeyPackages(store, identity, count, {
      lastResort: !status.lastResort,
    });
    const body: PublishKeysBody = replacing
      ? { ...generated, replace: true }
      : generated;
    status = await http("POST", "/keys", KeysStatus, body);
    replacing = false;
    log("e2ee_keys_published", { count, stock: status.stock });
    batch = LATER_BATCH;
    await yieldToPage();
  }
  return status;
}

function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
