import { type ClientState, mlsExporter } from "ts-mls";
import { utf8 } from "./encoding.ts";
import { KEPT_PREVIEW_EPOCHS } from "./preview.ts";
import type { MlsStore } from "./store.ts";
import { cipherSuite } from "./suite.ts";

/** MLS exporter label of the notification preview key (crypto/preview.ts). */
export const PREVIEW_EXPORTER_LABEL = "messenger notification preview v1";

const PREVIEW_KEY_BYTES = 32;

/**
 * Derives the preview key of the group state's epoch from its exporter
 * secret, as AES-GCM that cannot be exported again.
 */
export async function derivePreviewKey(
  state: ClientState,
  chatId: string,
): Promise<CryptoKey> {
  const exported = await mlsExporter(
    state.keySchedule.exporterSecret,
    PREVIEW_EXPORTER_LABEL,
    utf8.encode(chatId),
    PREVIEW_KEY_BYTES,
    await cipherSuite(),
  );
  const secret = new Uint8Array(exported);
  exported.fill(0);
  try {
    return await crypto.subtle.importKey(
      "raw",
      secret,
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
  } finally {
    secret.fill(0);
  }
}

/**
 * Stores the preview key of the state's epoch, once per chat and epoch,
 * and deletes the keys of epochs older than KEPT_PREVIEW_EPOCHS.
 */
export async function rememberPreviewKey(
  store: MlsStore,
  chatId: string,
  state: ClientState,
): Promise<void> {
  const epoch = Number(state.groupContext.epoch);
  if (await store.hasPreviewKey(chatId, epoch)) return;
  const key = await derivePreviewKey(state, chatId);
  await store.putPreviewKey({ chatId, epoch, key }, KEPT_PREVIEW_EPOCHS);
}
