import { mlsExporter } from "ts-mls";
import { epochOf, loadGroup, memberLeaves } from "../../crypto/group-state.ts";
import { loadIdentity } from "../../crypto/identity.ts";
import { MlsStore } from "../../crypto/store.ts";
import { cipherSuite } from "../../crypto/suite.ts";
import { db } from "../../data/db.ts";
import { log } from "../../data/log.ts";
import { CALL_EXPORTER_LABEL, CALL_SECRET_BYTES } from "./call-keys.ts";
import type { EpochView } from "./group-keys.ts";
import { createLocalCallKey, type LocalCallKey } from "./key-exchange.ts";

/** Readers of this device's MLS state in IndexedDB for a call's keys. */

/**
 * Reads the chat's MLS group from IndexedDB: its epoch, the call's base
 * secret at that epoch and the tree's devices with their signature keys.
 */
export async function loadEpochView(
  chatId: string,
  callId: string,
): Promise<EpochView> {
  const { state } = await loadGroup(new MlsStore(db), chatId);
  const base = await mlsExporter(
    state.keySchedule.exporterSecret,
    CALL_EXPORTER_LABEL,
    new TextEncoder().encode(callId),
    CALL_SECRET_BYTES,
    await cipherSuite(),
  );
  const members: EpochView["members"] = new Map();
  for (const member of memberLeaves(state)) {
    const node = state.ratchetTree[member.leafIndex * 2];
    if (node?.nodeType !== "leaf") continue;
    members.set(member.deviceId, {
      leaf: member.leafIndex,
      signaturePublicKey: node.leaf.signaturePublicKey,
    });
  }
  return { epoch: epochOf(state), base, members };
}

/**
 * Creates this device's signed call key for a group call in `chatId`.
 * Returns null, and logs why, when the device has no MLS identity.
 */
export async function loadLocalCallKey(
  chatId: string,
  deviceId: string,
): Promise<LocalCallKey | null> {
  try {
    const identity = await loadIdentity(new MlsStore(db));
    return await createLocalCallKey(
      chatId,
      deviceId,
      identity.signaturePrivateKey,
    );
  } catch (error) {
    log("call_key_create_failed", { chatId, error: String(error) });
    return null;
  }
}
