import { describe, expect, it } from "vitest";
import type { ErrorBody } from "../../protocol/index.ts";
import {
  api,
  createGroup,
  errorOf,
  openDirect,
  signUp,
  type TestUser,
} from "./helpers.ts";
import {
  COMMIT,
  commit,
  commitResponse,
  countRoomRows,
  deviceOf,
  groupStatus,
  requestAdd,
  statusResponse,
} from "./mls-helpers.ts";

/** Calls all three MLS routes as `user` and returns each reply. */
async function callAll(
  user: TestUser,
  chatId: string,
): Promise<[string, Response][]> {
  return [
    ["status", await statusResponse(user, chatId)],
    [
      "commit",
      await commitResponse(user, chatId, {
        epoch: 0,
        commit: COMMIT,
        added: [],
        removed: [],
      }),
    ],
    ["request-add", await requestAdd(user, chatId, { reset: false })],
  ];
}

/** Returns the status and error the chat detail route gives `user`. */
async function detailError(user: TestUser, chatId: string) {
  const response = await api("GET", `/api/chats/${chatId}`, {
    cookie: user.cookie,
  });
  return { status: response.status, error: await errorOf(response) };
}

async function expectRejectedLike(
  user: TestUser,
  chatId: string,
  expected: { status: number; error: ErrorBody },
): Promise<void> {
  for (const [route, response] of await callAll(user, chatId)) {
    expect(response.status, route).toBe(expected.status);
    expect(await errorOf(response), route).toEqual(expected.error);
  }
}

describe("MLS route access", () => {
  it("rejects a non-member as the chat routes do", async () => {
    const [ana, ben, eve] = [await signUp(), await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const expected = await detailError(eve, chatId);
    expect(expected.status).toBe(403);
    await expectRejectedLike(eve, chatId, expected);
    expect(await countRoomRows(chatId, "message")).toBe(0);
    expect(await countRoomRows(chatId, "mls_request_add")).toBe(0);
  });

  it("rejects an unknown chat as the chat routes do", async () => {
    const ana = await signUp();
    const chatId = `g_${crypto.randomUUID()}`;
    const expected = await detailError(ana, chatId);
    expect(expected.status).toBe(403);
    await expectRejectedLike(ana, chatId, expected);
  });

  it("rejects a removed member", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    await commit(ana, chatId, 0, { added: [ben, cleo] });
    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${cleo.id}`,
      { cookie: ana.cookie },
    );
    expect(removed.status).toBe(200);
    for (const [route, response] of await callAll(cleo, chatId)) {
      expect(response.status, route).toBe(403);
      expect((await errorOf(response)).code, route).toBe("forbidden");
    }
    const status = await groupStatus(ana, chatId);
    expect(status.epoch).toBe(1);
    expect(status.devices).toContainEqual(deviceOf(cleo));
  });

  it("requires a session", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const signedOut = { ...ana, cookie: "" };
    for (const [route, response] of await callAll(signedOut, chatId)) {
      expect(response.status, route).toBe(401);
      expect((await errorOf(response)).code, route).toBe("unauthenticated");
    }
  });
});
