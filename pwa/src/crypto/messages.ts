import {
  createApplicationMessage,
  emptyPskIndex,
  encodeMlsMessage,
  processPrivateMessage,
  zeroOutUint8Array,
} from "ts-mls";
import { ENCRYPTED_BODY_PREFIX } from "../../../protocol/mls.ts";
import { decodeMessage } from "./codec.ts";
import { fromBase64url, fromUtf8, toBase64url, utf8 } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import {
  assertActive,
  epochOf,
  isGroupOf,
  loadGroup,
  saveGroup,
  saveGroupWithPlaintext,
} from "./group-state.ts";
import { withGroupLock } from "./locks.ts";
import type { MlsStore } from "./store.ts";
import { cipherSuite } from "./suite.ts";

/**
 * Encrypts a message body for the chat's group and returns it as
 * `mls1:` and base64url. The advanced group state is stored before the
 * body is returned, so no key or nonce is ever used twice.
 */
export async function encryptMessage(
  store: MlsStore,
  chatId: string,
  plaintext: string,
): Promise<string> {
  const suite = await cipherSuite();
  return withGroupLock(chatId, async () => {
    const group = await loadGroup(store, chatId);
    assertActive(group.state, chatId);
    const result = await createApplicationMessage(
      group.state,
      utf8.encode(plaintext),
      suite,
    );
    await saveGroup(store, chatId, { ...group, state: result.newState });
    result.consumed.forEach(zeroOutUint8Array);
    const message = encodeMlsMessage({
      version: "mls10",
      wireformat: "mls_private_message",
      privateMessage: result.privateMessage,
    });
    return ENCRYPTED_BODY_PREFIX + toBase64url(message);
  });
}

/**
 * Decrypts a `mls1:` message body of the chat. Each message decrypts once,
 * because its key is deleted from the stored state. With a `messageId`,
 * the plaintext is stored with that state and returned again for the same
 * id, so a decryption survives the page closing before its caller stores
 * the result. Every failure is raised as an `MlsOperationError`.
 *
 * NOTE: ts-mls 1.6.4 does not return the sender's leaf with an application
 * message, so only the server's sender id names who sent it.
 */
export async function decryptMessage(
  store: MlsStore,
  chatId: string,
  body: string,
  messageId?: string,
): Promise<string> {
  const message = parseBody(body, chatId);
  const suite = await cipherSuite();
  return withGroupLock(chatId, async () => {
    if (messageId !== undefined) {
      const kept = (await store.plaintexts([messageId])).get(messageId);
      if (kept !== undefined) return kept;
    }
    const group = await loadGroup(store, chatId);
    const epoch = epochOf(group.state);
    if (message.epoch > BigInt(epoch)) {
      assertActive(group.state, chatId);
      throw new MlsOperationError(
        "wrong_epoch",
        `The message of chat ${chatId} is from epoch ${message.epoch} but the group state is at epoch ${epoch}; process the commits before it first.`,
      );
    }
    let result: Awaited<ReturnType<typeof processPrivateMessage>>;
    try {
      result = await processPrivateMessage(
        group.state,
        message,
        emptyPskIndex,
        suite,
      );
    } catch (error) {
      assertActive(group.state, chatId);
      throw new MlsOperationError(
        "undecryptable",
        `The message of chat ${chatId} from epoch ${message.epoch} cannot be decrypted: ${String(error)}`,
        { cause: error },
      );
    }
    // A handshake message in a message body is rejected before its new
    // state is stored, because commits take effect only through
    // processCommit.
    if (result.kind !== "applicationMessage") {
      throw new MlsOperationError(
        "malformed",
        `The message body of chat ${chatId} contains a handshake message, not an application message.`,
      );
    }
    const text = decodeText(result.message, chatId);
    const next = { ...group, state: result.newState };
    if (messageId === undefined) {
      await saveGroup(store, chatId, next);
    } else {
      await saveGroupWithPlaintext(store, chatId, next, messageId, text);
    }
    result.consumed.forEach(zeroOutUint8Array);
    return text;
  });
}

function parseBody(body: string, chatId: string) {
  if (!body.startsWith(ENCRYPTED_BODY_PREFIX)) {
    throw new MlsOperationError(
      "not_encrypted",
      `The message body of chat ${chatId} does not start with "${ENCRYPTED_BODY_PREFIX}".`,
    );
  }
  const bytes = fromBase64url(body.slice(ENCRYPTED_BODY_PREFIX.length));
  const message = bytes === null ? null : decodeMessage(bytes);
  if (message?.wireformat !== "mls_private_message") {
    throw new MlsOperationError(
      "malformed",
      `The message body of chat ${chatId} is not base64url of an MLS private message.`,
    );
  }
  if (!isGroupOf(message.privateMessage.groupId, chatId)) {
    throw new MlsOperationError(
      "wrong_group",
      `The message body was encrypted for another group than chat ${chatId}.`,
    );
  }
  return message.privateMessage;
}

function decodeText(bytes: Uint8Array, chatId: string): string {
  try {
    return fromUtf8.decode(bytes);
  } catch {
    throw new MlsOperationError(
      "malformed",
      `The decrypted message of chat ${chatId} is not UTF-8 text.`,
    );
  }
}
