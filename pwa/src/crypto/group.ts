import {
  createCommit,
  createGroup as createMlsGroup,
  encodeMlsMessage,
  type Proposal,
  zeroOutUint8Array,
} from "ts-mls";
import { encodeRatchetTree } from "ts-mls/ratchetTree.js";
import type {
  ClaimReply,
  CommitBody,
  GroupDevice,
} from "../../../protocol/mls.ts";
import { encodeState } from "./codec.ts";
import { toBase64url } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import {
  epochOf,
  groupIdOf,
  loadGroup,
  memberLeaves,
  saveGroup,
  assertActive,
} from "./group-state.ts";
import {
  credentialIdentity,
  type DeviceIdentity,
  parseCredential,
} from "./identity.ts";
import { newKeyPackage, parseKeyPackage } from "./key-packages.ts";
import { withGroupLock } from "./locks.ts";
import type { MlsStore } from "./store.ts";
import { cipherSuite, clientConfig } from "./suite.ts";

/** KeyPackages claimed from the server, one per device to add. */
export type ClaimedKeyPackages = ClaimReply["keyPackages"];

/**
 * Creates the chat's MLS group at epoch 0 with this device as its only
 * member. The other devices join through the commit that adds them.
 */
export async function createGroup(
  store: MlsStore,
  identity: DeviceIdentity,
  chatId: string,
): Promise<void> {
  await withGroupLock(chatId, async () => {
    if ((await store.group(chatId)) !== undefined) {
      throw new MlsOperationError(
        "group_exists",
        `Chat ${chatId} has an MLS group state already; add devices to it.`,
      );
    }
    const own = await newKeyPackage(identity);
    const state = await createMlsGroup(
      groupIdOf(chatId),
      own.publicPackage,
      own.privatePackage,
      [],
      await cipherSuite(),
      clientConfig,
    );
    await saveGroup(store, chatId, { state, pending: null });
  });
}

/** Makes a commit that adds the devices of the claimed KeyPackages. */
export function addDevices(
  store: MlsStore,
  chatId: string,
  claimed: ClaimedKeyPackages,
): Promise<CommitBody> {
  return commitChanges(store, chatId, { add: claimed, remove: [] });
}

/** Makes a commit that removes the given devices from the group. */
export function removeDevices(
  store: MlsStore,
  chatId: string,
  devices: GroupDevice[],
): Promise<CommitBody> {
  return commitChanges(store, chatId, { add: [], remove: devices });
}

/**
 * Makes one commit that removes and adds devices, ready to send as a commit
 * request. The group state stays at its epoch: the commit is kept as
 * pending and takes effect when `processCommit` meets it in the chat log,
 * so a commit the server rejects leaves the state usable.
 */
export async function commitChanges(
  store: MlsStore,
  chatId: string,
  changes: { add: ClaimedKeyPackages; remove: GroupDevice[] },
): Promise<CommitBody> {
  const proposals = changes.add.map(addProposal);
  return withGroupLock(chatId, async () => {
    const { state } = await loadGroup(store, chatId);
    assertActive(state, chatId);
    for (const device of changes.remove) {
      proposals.push(removeProposal(memberLeaves(state), device, chatId));
    }
    const result = await createCommit(
      { state, cipherSuite: await cipherSuite() },
      { extraProposals: proposals },
    );
    const commit = encodeMlsMessage(result.commit);
    const pending = {
      epoch: epochOf(state),
      commit,
      state: encodeState(result.newState),
    };
    await saveGroup(store, chatId, { state, pending });
    result.consumed.forEach(zeroOutUint8Array);
    const welcome = result.welcome && {
      welcome: toBase64url(
        encodeMlsMessage({
          version: "mls10",
          wireformat: "mls_welcome",
          welcome: result.welcome,
        }),
      ),
      ratchetTree: toBase64url(encodeRatchetTree(result.newState.ratchetTree)),
    };
    return {
      epoch: epochOf(state),
      commit: toBase64url(commit),
      ...welcome,
      added: changes.add.map(({ userId, deviceId }) => ({ userId, deviceId })),
      removed: changes.remove,
    };
  });
}

function addProposal(claimed: ClaimedKeyPackages[number]): Proposal {
  const { userId, deviceId } = claimed;
  const keyPackage = parseKeyPackage(claimed.keyPackage);
  if (keyPackage === null) {
    throw new MlsOperationError(
      "invalid_key_package",
      `The KeyPackage claimed for device ${deviceId} of user ${userId} is not an MLS KeyPackage; claim another.`,
    );
  }
  const owner = parseCredential(keyPackage.leafNode.credential);
  if (owner?.userId !== userId || owner.deviceId !== deviceId) {
    throw new MlsOperationError(
      "invalid_key_package",
      `The KeyPackage claimed for device ${deviceId} of user ${userId} names another device; expected the credential ${credentialIdentity(userId, deviceId)}.`,
    );
  }
  return { proposalType: "add", add: { keyPackage } };
}

function removeProposal(
  members: ReturnType<typeof memberLeaves>,
  device: GroupDevice,
  chatId: string,
): Proposal {
  const member = members.find(
    (leaf) =>
      leaf.userId === device.userId && leaf.deviceId === device.deviceId,
  );
  if (member === undefined) {
    throw new MlsOperationError(
      "not_in_group",
      `Device ${device.deviceId} of user ${device.userId} is not in chat ${chatId}'s MLS group, so it cannot be removed.`,
    );
  }
  return { proposalType: "remove", remove: { removed: member.leafIndex } };
}
