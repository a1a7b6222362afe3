import {
  type ClientState,
  decodeGroupState,
  decodeMlsMessage,
  encodeGroupState,
  type MLSMessage,
} from "ts-mls";
import { MlsOperationError } from "./errors.ts";
import { clientConfig } from "./suite.ts";

/**
 * Decodes bytes that must contain exactly one `MLSMessage`, or returns
 * null. ts-mls either returns nothing or throws on malformed input, so both
 * become null here.
 */
export function decodeMessage(bytes: Uint8Array): MLSMessage | null {
  try {
    const decoded = decodeMlsMessage(bytes, 0);
    if (decoded === undefined || decoded[1] !== bytes.length) return null;
    return decoded[0];
  } catch {
    return null;
  }
}

export function encodeState(state: ClientState): Uint8Array {
  return encodeGroupState(state);
}

/** Decodes a stored group state and adds the client settings to it. */
export function decodeState(bytes: Uint8Array, chatId: string): ClientState {
  const decoded = decodeGroupState(bytes, 0);
  if (decoded === undefined) {
    throw new MlsOperationError(
      "malformed",
      `Stored MLS group state of chat ${chatId} cannot be decoded.`,
    );
  }
  return { ...decoded[0], clientConfig };
}
