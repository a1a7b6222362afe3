import {
  type CiphersuiteImpl,
  type ClientConfig,
  defaultCapabilities,
  getCiphersuiteImpl,
} from "ts-mls";
import { defaultClientConfig } from "ts-mls/clientConfig.js";
import { getCiphersuiteFromId } from "ts-mls/crypto/ciphersuite.js";
import { MLS_CIPHER_SUITE } from "../../../protocol/mls.ts";

/**
 * Past epochs whose receiver secrets a group state keeps, so that a message
 * sent just before a commit still decrypts after the receiver applied it.
 */
export const RETAINED_EPOCHS = 3;

/**
 * Settings of every group state. ts-mls does not encode them with the
 * state, so they are added again each time a state is decoded.
 */
export const clientConfig: ClientConfig = {
  ...defaultClientConfig,
  keyRetentionConfig: {
    ...defaultClientConfig.keyRetentionConfig,
    retainKeysForEpochs: RETAINED_EPOCHS,
  },
};

/** Capabilities announced in every KeyPackage of this device. */
export const capabilities = defaultCapabilities();

let suite: Promise<CiphersuiteImpl> | undefined;

/**
 * Returns the implementation of `MLS_CIPHER_SUITE`, built once. ts-mls runs
 * its X25519, AES-128-GCM, SHA-256 and Ed25519 on WebCrypto.
 */
export function cipherSuite(): Promise<CiphersuiteImpl> {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromId(MLS_CIPHER_SUITE));
  return suite;
}
