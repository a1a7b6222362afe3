import {
  type ClientState,
  emptyPskIndex,
  joinGroup,
  processMessage,
  acceptAll,
  type RatchetTree,
  zeroOutUint8Array,
} from "ts-mls";
import { decodeRatchetTree } from "ts-mls/ratchetTree.js";
import type { CommitEvent, PendingWelcome } from "../../../protocol/mls.ts";
import { decodeMessage, decodeState } from "./codec.ts";
import { fromBase64url, sameBytes, toBase64url } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import {
  assertActive,
  epochOf,
  groupRow,
  isGroupOf,
  loadGroup,
  saveGroup,
} from "./group-state.ts";
import type { DeviceIdentity } from "./identity.ts";
import { restoreKeyPackage } from "./key-packages.ts";
import { withGroupLock } from "./locks.ts";
import { rememberPreviewKey } from "./preview-keys.ts";
import type { MlsStore } from "./store.ts";
import { cipherSuite, clientConfig } from "./suite.ts";

/**
 * Joins a chat's group from a Welcome and the ratchet tree sent with it,
 * replacing any group state the device had for the chat. The private part
 * of the KeyPackage the Welcome used is deleted, unless it is the
 * last-resort one. Returns the epoch joined at.
 */
export async function joinFromWelcome(
  store: MlsStore,
  identity: DeviceIdentity,
  chatId: string,
  pending: Pick<PendingWelcome, "welcome" | "ratchetTree">,
): Promise<number> {
  const welcome = decodeWelcome(pending.welcome);
  const ratchetTree = decodeTree(pending.ratchetTree);
  const suite = await cipherSuite();
  return withGroupLock(chatId, async () => {
    const row = await findKeyPackage(store, welcome.secrets);
    const own = restoreKeyPackage(row, identity);
    let state: ClientState;
    try {
      state = await joinGroup(
        welcome,
        own.publicPackage,
        own.privatePackage,
        emptyPskIndex,
        suite,
        ratchetTree,
        undefined,
        clientConfig,
      );
    } catch (error) {
      throw new MlsOperationError(
        "invalid_welcome",
        `The Welcome for chat ${chatId} was rejected: ${String(error)}`,
        { cause: error },
      );
    }
    if (!isGroupOf(state.groupContext.groupId, chatId)) {
      throw new MlsOperationError(
        "wrong_group",
        `The Welcome is for another group than chat ${chatId}.`,
      );
    }
    const used = row.kind === "stock" ? row.ref : null;
    await store.saveJoinedGroup(
      groupRow(chatId, { state, pending: null }),
      used,
    );
    await rememberPreviewKey(store, chatId, state);
    return epochOf(state);
  });
}

/** The result of processing one commit of the chat log. */
export interface CommitOutcome {
  /** The group state's epoch afterwards. */
  epoch: number;
  /** False when the state had moved past the commit's epoch already. */
  applied: boolean;
  /** True when the commit removed this device from the group. */
  removed: boolean;
}

/**
 * Applies a commit from the chat log, in sequence order. A commit whose
 * epoch the state has passed (one that added this device, or one processed
 * before) is skipped. This device's own pending commit is applied from the
 * state kept when it was made, and another device's commit at the same
 * epoch replaces it, because the log decides which commit won.
 */
export async function processCommit(
  store: MlsStore,
  chatId: string,
  event: Pick<CommitEvent, "epoch" | "commit">,
): Promise<CommitOutcome> {
  const bytes = fromBase64url(event.commit);
  const suite = await cipherSuite();
  return withGroupLock(chatId, async () => {
    const { state, pending } = await loadGroup(store, chatId);
    const epoch = epochOf(state);
    if (event.epoch < epoch) return { epoch, applied: false, removed: false };
    if (event.epoch > epoch) {
      throw new MlsOperationError(
        "wrong_epoch",
        `The commit of chat ${chatId} is for epoch ${event.epoch} but the group state is at epoch ${epoch}; process the earlier commits first.`,
      );
    }
    assertActive(state, chatId);
    let next: ClientState;
    let consumed: Uint8Array[] = [];
    if (
      bytes !== null &&
      pending?.epoch === epoch &&
      sameBytes(pending.commit, bytes)
    ) {
      next = adoptPending(state, decodeState(pending.state, chatId));
    } else {
      ({ newState: next, consumed } = await applyCommit(
        state,
        bytes,
        chatId,
        suite,
      ));
    }
    await saveGroup(store, chatId, { state: next, pending: null });
    consumed.forEach(zeroOutUint8Array);
    const removed = next.groupActiveState.kind === "removedFromGroup";
    return { epoch: epochOf(next), applied: true, removed };
  });
}

async function applyCommit(
  state: ClientState,
  bytes: Uint8Array | null,
  chatId: string,
  suite: Awaited<ReturnType<typeof cipherSuite>>,
): Promise<{ newState: ClientState; consumed: Uint8Array[] }> {
  const message = bytes === null ? null : decodeMessage(bytes);
  if (
    message?.wireformat !== "mls_private_message" &&
    message?.wireformat !== "mls_public_message"
  ) {
    throw new MlsOperationError(
      "malformed",
      `The commit of chat ${chatId} is not base64url of an MLS handshake message.`,
    );
  }
  let result: Awaited<ReturnType<typeof processMessage>>;
  try {
    result = await processMessage(
      message,
      state,
      emptyPskIndex,
      acceptAll,
      suite,
    );
  } catch (error) {
    throw new MlsOperationError(
      "invalid_commit",
      `The commit of chat ${chatId} at epoch ${epochOf(state)} was rejected: ${String(error)}`,
      { cause: error },
    );
  }
  // A commit moves the state to the next epoch, except the one that
  // removes this device, which only marks the state as removed.
  const moved =
    result.kind === "newState" &&
    (epochOf(result.newState) === epochOf(state) + 1 ||
      result.newState.groupActiveState.kind === "removedFromGroup");
  if (!moved) {
    throw new MlsOperationError(
      "invalid_commit",
      `The commit message of chat ${chatId} contains no commit.`,
    );
  }
  return result;
}

/**
 * Returns the state a pending commit led to, with the receiver secrets of
 * the epoch it left taken from `current`. Messages of that epoch decrypted
 * after the commit was made have used up their keys in `current`, so they
 * cannot be decrypted a second time.
 */
function adoptPending(current: ClientState, next: ClientState): ClientState {
  const history = new Map(next.historicalReceiverData);
  const left = history.get(current.groupContext.epoch);
  if (left !== undefined) {
    history.set(current.groupContext.epoch, {
      ...left,
      secretTree: current.secretTree,
    });
  }
  return { ...next, historicalReceiverData: history };
}

function decodeWelcome(text: string) {
  const bytes = fromBase64url(text);
  const message = bytes === null ? null : decodeMessage(bytes);
  if (message?.wireformat !== "mls_welcome") {
    throw new MlsOperationError(
      "malformed",
      "The Welcome is not base64url of an MLS Welcome message.",
    );
  }
  return message.welcome;
}

function decodeTree(text: string): RatchetTree {
  const bytes = fromBase64url(text);
  try {
    const decoded = bytes === null ? undefined : decodeRatchetTree(bytes, 0);
    if (decoded !== undefined && decoded[1] === bytes?.length) {
      return decoded[0];
    }
  } catch {
    // Reported below like any other undecodable tree.
  }
  throw new MlsOperationError(
    "malformed",
    "The ratchet tree is not base64url of an encoded MLS ratchet tree.",
  );
}

async function findKeyPackage(
  store: MlsStore,
  secrets: { newMember: Uint8Array }[],
) {
  for (const secret of secrets) {
    const row = await store.keyPackage(toBase64url(secret.newMember));
    if (row !== undefined) return row;
  }
  throw new MlsOperationError(
    "key_package_not_found",
    "The Welcome names none of this device's stored KeyPackages; ask to be added again.",
  );
}
