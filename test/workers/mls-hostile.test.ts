import { describe, expect, it } from "vitest";
import {
  MAX_GROUP_CHANGE_DEVICES,
  type CommitEvent,
  type GroupDevice,
} from "../../protocol/index.ts";
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
  roomStub,
  TREE,
  WELCOME,
} from "./mls-helpers.ts";

/** Builds a JSON array nested `depth` deep, as a raw body string. */
function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

function fakeDevices(count: number): GroupDevice[] {
  return Array.from({ length: count }, () => ({
    userId: crypto.randomUUID(),
    deviceId: crypto.randomUUID(),
  }));
}

async function claimResponse(
  user: TestUser,
  chatId: string,
  body: unknown,
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/mls/claim`, {
    cookie: user.cookie,
    body,
  });
}

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return { ana, ben, chatId };
}

describe("hostile MLS bodies", () => {
  const valid = { epoch: 0, commit: COMMIT, added: [], removed: [] };
  const commitCases: {
    name: string;
    body: unknown;
    status: number;
    field?: string;
  }[] = [
    {
      name: "epoch as text",
      body: { ...valid, epoch: "0" },
      status: 400,
      field: "epoch",
    },
    {
      name: "fractional epoch",
      body: { ...valid, epoch: 0.5 },
      status: 400,
      field: "epoch",
    },
    {
      name: "missing commit",
      body: { epoch: 0, added: [], removed: [] },
      status: 400,
      field: "commit",
    },
    {
      name: "numeric commit",
      body: { ...valid, commit: 7 },
      status: 400,
      field: "commit",
    },
    {
      name: "empty commit",
      body: { ...valid, commit: "" },
      status: 400,
      field: "commit",
    },
    {
      name: "padded commit",
      body: { ...valid, commit: "YQ==" },
      status: 400,
      field: "commit",
    },
    {
      name: "unicode commit",
      body: { ...valid, commit: "Ωmega" },
      status: 400,
      field: "commit",
    },
    {
      name: "missing added",
      body: { epoch: 0, commit: COMMIT, removed: [] },
      status: 400,
      field: "added",
    },
    {
      name: "added as object",
      body: { ...valid, added: {} },
      status: 400,
      field: "added",
    },
    {
      name: "device without id",
      body: { ...valid, removed: [{ userId: "x" }] },
      status: 400,
      field: "removed.0.userId",
    },
    {
      name: "too many added",
      body: {
        ...valid,
        welcome: WELCOME,
        ratchetTree: TREE,
        added: fakeDevices(MAX_GROUP_CHANGE_DEVICES + 1),
      },
      status: 413,
      field: "added",
    },
    {
      name: "welcome without tree",
      body: { ...valid, added: fakeDevices(1), welcome: WELCOME },
      status: 400,
      field: "welcome",
    },
    { name: "a JSON array", body: "[]", status: 400 },
    { name: "JSON null", body: "null", status: 400 },
    { name: "deep nesting", body: nested(100_000), status: 400 },
    {
      name: "deep nesting in a field",
      body: `{"epoch":0,"commit":"YQ","removed":[],"added":${nested(50_000)}}`,
      status: 400,
      field: "added.0",
    },
  ];

  for (const { name, body, status, field } of commitCases) {
    it(`rejects a commit with ${name}`, async () => {
      const { ana, chatId } = await pair();
      const response = await commitResponse(ana, chatId, body);
      expect(response.status).toBe(status);
      expect((await errorOf(response)).field).toBe(field);
      expect(await countRoomRows(chatId, "message")).toBe(0);
      expect(await countRoomRows(chatId, "mls_device")).toBe(0);
      expect((await groupStatus(ana, chatId)).epoch).toBe(0);
    });
  }

  it("ignores fields the schema does not name", async () => {
    const { ana, chatId } = await pair();
    const response = await commitResponse(ana, chatId, {
      ...valid,
      committer: { userId: "someone", deviceId: "else" },
      seq: 99,
    });
    expect(response.status).toBe(200);
    const page = await roomStub(chatId).history(ana.id, { afterSeq: 0 }, 5);
    if (!page.ok) throw new Error(page.error.message);
    const event = JSON.parse(
      page.value.messages[0]?.body ?? "{}",
    ) as CommitEvent;
    expect(event.committer).toEqual(deviceOf(ana));
    expect(page.value.messages[0]?.seq).toBe(1);
  });

  it("rejects a huge epoch as stale", async () => {
    const { ana, chatId } = await pair();
    const response = await commitResponse(ana, chatId, {
      ...valid,
      epoch: Number.MAX_SAFE_INTEGER,
    });
    expect(response.status).toBe(409);
    const error = await errorOf(response);
    expect(error.code).toBe("stale_epoch");
    expect(error.field).toBe("epoch");
  });

  it("rejects hostile claim bodies", async () => {
    const { ana, chatId } = await pair();
    const cases: { body: unknown; status: number; field?: string }[] = [
      { body: {}, status: 400, field: "devices" },
      { body: { devices: "all" }, status: 400, field: "devices" },
      {
        body: { devices: [{ userId: 1, deviceId: 2 }] },
        status: 400,
        field: "devices.0.userId",
      },
      {
        body: { devices: fakeDevices(MAX_GROUP_CHANGE_DEVICES + 1) },
        status: 413,
        field: "devices",
      },
      { body: nested(100_000), status: 400 },
      { body: "x".repeat(1024 * 1024), status: 413 },
    ];
    for (const { body, status, field } of cases) {
      const response = await claimResponse(ana, chatId, body);
      expect(response.status).toBe(status);
      expect((await errorOf(response)).field).toBe(field);
    }
  });

  it("rejects a malformed chat id", async () => {
    const ana = await signUp();
    for (const chatId of ["%F0%9F%98%80", "x".repeat(2000), "g_..%2F.."]) {
      const replies = [
        await api("GET", `/api/chats/${chatId}/mls`, { cookie: ana.cookie }),
        await commitResponse(ana, chatId, valid),
        await requestAdd(ana, chatId, { reset: false }),
        await claimResponse(ana, chatId, { devices: [deviceOf(ana)] }),
      ];
      for (const reply of replies) {
        expect(reply.status).toBe(400);
        expect((await errorOf(reply)).field).toBe("chatId");
      }
    }
  });

  it("rejects hostile request-add bodies", async () => {
    const { ana, chatId } = await pair();
    for (const body of [{}, { reset: 1 }, { reset: null }]) {
      const response = await requestAdd(ana, chatId, body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).field).toBe("reset");
    }
    const deep = await requestAdd(ana, chatId, nested(100_000));
    expect(deep.status).toBe(400);
    expect((await errorOf(deep)).code).toBe("invalid_request");
    expect(await countRoomRows(chatId, "mls_request_add")).toBe(0);
  });
});

describe("MLS races", () => {
  it("stores one of five commits sent at once", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const ana2 = await signUp(ana.phone);
    const responses = await Promise.all(
      [ana, ben, ana, ben, ana].map((user) =>
        commitResponse(user, chatId, {
          epoch: 1,
          commit: COMMIT,
          welcome: WELCOME,
          ratchetTree: TREE,
          added: [deviceOf(ana2)],
          removed: [],
        }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect((await errorOf(response)).code).toBe("stale_epoch");
    }
    expect(await countRoomRows(chatId, "message")).toBe(2);
    const status = await groupStatus(ana2, chatId);
    expect(status.epoch).toBe(2);
    expect(status.welcome?.epoch).toBe(2);
  });

  it("accepts one of parallel request-adds", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        requestAdd(ben, chatId, { reset: false }),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([204, 429, 429, 429, 429]);
  });

  it("adds no device of a member removed meanwhile", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    await commit(ana, chatId, 0, { added: [ben] });
    const [added, removed] = await Promise.all([
      commitResponse(ana, chatId, {
        epoch: 1,
        commit: COMMIT,
        welcome: WELCOME,
        ratchetTree: TREE,
        added: [deviceOf(cleo)],
        removed: [],
      }),
      api("DELETE", `/api/chats/${chatId}/members/${cleo.id}`, {
        cookie: ana.cookie,
      }),
    ]);
    expect(removed.status).toBe(200);
    const status = await groupStatus(ana, chatId);
    if (added.status === 200) {
      // The commit came first, so the removal leaves the device stale.
      expect(status.stale).toEqual([deviceOf(cleo)]);
    } else {
      expect(added.status).toBe(409);
      expect((await errorOf(added)).field).toBe("added.0");
      expect(status.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
    }
  });
});

describe("MLS access and lifecycle", () => {
  it("rejects every route for a revoked device", async () => {
    const { ana, ben, chatId } = await pair();
    const ana2 = await signUp(ana.phone);
    await commit(ana, chatId, 0, { added: [ben, ana2] });
    const revoked = await api("DELETE", `/api/devices/${ana2.deviceId}`, {
      cookie: ana.cookie,
    });
    expect(revoked.status).toBe(204);

    const replies = [
      await api("GET", `/api/chats/${chatId}/mls`, { cookie: ana2.cookie }),
      await commitResponse(ana2, chatId, {
        epoch: 1,
        commit: COMMIT,
        added: [],
        removed: [deviceOf(ben)],
      }),
      await requestAdd(ana2, chatId, { reset: true }),
      await claimResponse(ana2, chatId, { devices: [deviceOf(ben)] }),
    ];
    for (const reply of replies) {
      expect(reply.status).toBe(401);
      expect((await errorOf(reply)).code).toBe("unauthenticated");
    }
    const status = await groupStatus(ana, chatId);
    expect(status.epoch).toBe(1);
    expect(status.stale).toEqual([deviceOf(ana2)]);
    expect(await countRoomRows(chatId, "mls_request_add")).toBe(0);
  });

  it("lets a member remove and re-add a device at once", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    await commit(ana, chatId, 1, { removed: [ben], added: [ben] });
    const status = await groupStatus(ben, chatId);
    expect(status.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
    expect(status.stale).toEqual([]);
    expect(status.welcome?.epoch).toBe(2);
  });

  it("marks the devices of a leaver stale", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    await commit(ana, chatId, 0, { added: [ben, cleo] });
    expect(await countRoomRows(chatId, "mls_pending_welcome")).toBe(2);
    const left = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${cleo.id}`,
      {
        cookie: cleo.cookie,
      },
    );
    expect(left.status).toBe(200);

    const status = await groupStatus(ben, chatId);
    expect(status.stale).toEqual([deviceOf(cleo)]);
    const cleoStatus = await api("GET", `/api/chats/${chatId}/mls`, {
      cookie: cleo.cookie,
    });
    expect(cleoStatus.status).toBe(403);

    await commit(ben, chatId, 1, { removed: [cleo] });
    const after = await groupStatus(ana, chatId);
    expect(after.stale).toEqual([]);
    expect(after.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
    expect(await countRoomRows(chatId, "mls_pending_welcome")).toBe(0);
  });
});
