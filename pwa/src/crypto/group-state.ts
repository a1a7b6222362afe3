import type { ClientState } from "ts-mls";
import type { GroupDevice } from "../../../protocol/mls.ts";
import type { MlsGroupRow, MlsPendingCommit } from "../data/db.ts";
import { decodeState, encodeState } from "./codec.ts";
import { sameBytes, utf8 } from "./encoding.ts";
import { MlsOperationError } from "./errors.ts";
import { parseCredential } from "./identity.ts";
import { rememberPreviewKey } from "./preview-keys.ts";
import type { MlsStore } from "./store.ts";

/** A chat's stored group state, decoded. */
export interface LoadedGroup {
  state: ClientState;
  pending: MlsPendingCommit | null;
}

/** Returns the MLS group id of a chat, which is the chat id in UTF-8. */
export function groupIdOf(chatId: string): Uint8Array {
  return utf8.encode(chatId);
}

export function isGroupOf(groupId: Uint8Array, chatId: string): boolean {
  return sameBytes(groupId, groupIdOf(chatId));
}

export function epochOf(state: ClientState): number {
  return Number(state.groupContext.epoch);
}

/** Loads a chat's group state, or raises `no_group` when there is none. */
export async function loadGroup(
  store: MlsStore,
  chatId: string,
): Promise<LoadedGroup> {
  const row = await store.group(chatId);
  if (row === undefined) {
    throw new MlsOperationError(
      "no_group",
      `This device has no MLS group state for chat ${chatId}; join with a Welcome or create the group.`,
    );
  }
  return { state: decodeState(row.state, chatId), pending: row.pending };
}

/**
 * Stores a chat's group state, replacing the previous one, and the
 * notification preview key of its epoch.
 */
export async function saveGroup(
  store: MlsStore,
  chatId: string,
  group: LoadedGroup,
): Promise<void> {
  await store.putGroup(groupRow(chatId, group));
  await rememberPreviewKey(store, chatId, group.state);
}

/** Stores a chat's group state as `saveGroup` does, with a plaintext. */
export async function saveGroupWithPlaintext(
  store: MlsStore,
  chatId: string,
  group: LoadedGroup,
  messageId: string,
  body: string,
): Promise<void> {
  await store.putGroupWithPlaintext(groupRow(chatId, group), messageId, body);
  await rememberPreviewKey(store, chatId, group.state);
}

export function groupRow(chatId: string, group: LoadedGroup): MlsGroupRow {
  return {
    chatId,
    epoch: epochOf(group.state),
    state: encodeState(group.state),
    pending: group.pending,
  };
}

/** A member device with its leaf index in the ratchet tree. */
export interface MemberLeaf extends GroupDevice {
  leafIndex: number;
}

/**
 * Lists the devices in a group state's ratchet tree. In the array form of
 * the tree, leaves are at even node indices, so leaf index = node index / 2.
 * Leaves whose credential is not `${userId}.${deviceId}` are left out.
 */
export function memberLeaves(state: ClientState): MemberLeaf[] {
  const members: MemberLeaf[] = [];
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType !== "leaf") return;
    const device = parseCredential(node.leaf.credential);
    if (device !== null) members.push({ ...device, leafIndex: nodeIndex / 2 });
  });
  return members;
}

/** Raises `removed` when a commit removed this device from the group. */
export function assertActive(state: ClientState, chatId: string): void {
  if (state.groupActiveState.kind !== "active") {
    throw new MlsOperationError(
      "removed",
      `This device is no longer a member of chat ${chatId}'s MLS group; ask to be added again.`,
    );
  }
}
