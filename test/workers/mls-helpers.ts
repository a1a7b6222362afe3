import { env, runInDurableObject } from "cloudflare:test";
import type {
  CommitBody,
  CommitReply,
  GroupDevice,
  GroupStatus,
} from "../../protocol/index.ts";
import { api, json, type TestUser } from "./helpers.ts";

/** Stand-ins for MLS values: the room checks only that they are base64url. */
export const COMMIT = "Y29tbWl0";
export const WELCOME = "d2VsY29tZQ";
export const TREE = "dHJlZQ";

export function deviceOf(user: TestUser): GroupDevice {
  return { userId: user.id, deviceId: user.deviceId };
}

export function roomStub(chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

export async function statusResponse(
  user: TestUser,
  chatId: string,
): Promise<Response> {
  return api("GET", `/api/chats/${chatId}/mls`, { cookie: user.cookie });
}

/** Fetches the group status for `user`'s device and throws on an error. */
export async function groupStatus(
  user: TestUser,
  chatId: string,
): Promise<GroupStatus> {
  const response = await statusResponse(user, chatId);
  if (response.status !== 200) {
    throw new Error(`status failed: ${await response.text()}`);
  }
  return json<GroupStatus>(response);
}

export async function commitResponse(
  user: TestUser,
  chatId: string,
  body: unknown,
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/mls/commit`, {
    cookie: user.cookie,
    body,
  });
}

/**
 * Commits at `epoch` adding and removing the devices named, with a Welcome
 * when devices are added; throws unless the room accepts it.
 */
export async function commit(
  user: TestUser,
  chatId: string,
  epoch: number,
  change: { added?: TestUser[]; removed?: TestUser[]; welcome?: string } = {},
): Promise<CommitReply> {
  const added = (change.added ?? []).map(deviceOf);
  const body: CommitBody = {
    epoch,
    commit: COMMIT,
    added,
    removed: (change.removed ?? []).map(deviceOf),
  };
  if (added.length > 0) {
    body.welcome = change.welcome ?? WELCOME;
    body.ratchetTree = TREE;
  }
  const response = await commitResponse(user, chatId, body);
  if (response.status !== 200) {
    throw new Error(`commit failed: ${await response.text()}`);
  }
  return json<CommitReply>(response);
}

export async function requestAdd(
  user: TestUser,
  chatId: string,
  body: unknown,
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/mls/request-add`, {
    cookie: user.cookie,
    body,
  });
}

/** Counts the rows of one of the room's tables. */
export async function countRoomRows(
  chatId: string,
  table: string,
): Promise<number> {
  return runInDurableObject(
    roomStub(chatId),
    (_instance, state) =>
      state.storage.sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)
        .one().n,
  );
}
