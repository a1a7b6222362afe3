import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CommitEvent,
  MAX_BODY_BYTES,
  MAX_HANDSHAKE_CHARS,
  REQUEST_ADD_INTERVAL_MS,
  type StoredMessage,
} from "../../protocol/index.ts";
import type { RoomStore } from "../../durable-objects/chat-room/store.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
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

const sockets: TestSocket[] = [];

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return { ana, ben, chatId };
}

async function history(
  socket: TestSocket,
  chatId: string,
): Promise<StoredMessage[]> {
  const rid = newMessageId();
  socket.send({ type: "history", rid, chatId, afterSeq: 0, limit: 50 });
  const page = await socket.next("messages", (f) => f.rid === rid);
  return page.messages;
}

/** Moves the device's last request-add back by the rate limit interval. */
async function expireRequestAdd(chatId: string): Promise<void> {
  await runInDurableObject(roomStub(chatId), (_instance, state) => {
    state.storage.sql.exec(
      "UPDATE mls_request_add SET requested_at = requested_at - ?",
      REQUEST_ADD_INTERVAL_MS,
    );
  });
}

describe("group commits", () => {
  it("creates the group at epoch 0", async () => {
    const { ana, ben, chatId } = await pair();
    const before = await groupStatus(ana, chatId);
    expect(before.epoch).toBe(0);
    expect(before.devices).toEqual([]);
    expect(before.inGroup).toBe(false);

    const reply = await commit(ana, chatId, 0, { added: [ben] });
    expect(reply.epoch).toBe(1);
    const status = await groupStatus(ana, chatId);
    expect(status.epoch).toBe(1);
    expect(status.commitSeq).toBe(reply.seq);
    expect(status.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
    expect(status.inGroup).toBe(true);
    expect(status.missing).toEqual([]);
    expect(status.stale).toEqual([]);
    expect(status.welcome).toBeNull();
  });

  it("takes the next commit at the new epoch", async () => {
    const { ana, ben, chatId } = await pair();
    const first = await commit(ana, chatId, 0, { added: [ben] });
    const second = await commit(ben, chatId, 1);
    expect(second.epoch).toBe(2);
    expect(second.seq).toBe(first.seq + 1);
    const status = await groupStatus(ana, chatId);
    expect(status.epoch).toBe(2);
    expect(status.commitSeq).toBe(second.seq);
  });

  it("rejects a stale epoch and stores nothing", async () => {
    const { ana, ben, chatId } = await pair();
    const first = await commit(ana, chatId, 0, { added: [ben] });
    for (const epoch of [0, 2]) {
      const response = await commitResponse(ana, chatId, {
        epoch,
        commit: COMMIT,
        added: [],
        removed: [],
      });
      expect(response.status).toBe(409);
      const error = await errorOf(response);
      expect(error.code).toBe("stale_epoch");
      expect(error.field).toBe("epoch");
      expect(error.message).toContain("Fetch the group status");
    }
    expect(await countRoomRows(chatId, "message")).toBe(1);
    const status = await groupStatus(ana, chatId);
    expect(status.epoch).toBe(1);
    expect(status.commitSeq).toBe(first.seq);
  });

  it("stores only one of two commits at one epoch", async () => {
    const { ana, ben, chatId } = await pair();
    const ana2 = await signUp(ana.phone);
    await commit(ana, chatId, 0, { added: [ben] });
    const body = {
      epoch: 1,
      commit: COMMIT,
      welcome: WELCOME,
      ratchetTree: TREE,
      added: [deviceOf(ana2)],
      removed: [],
    };
    const responses = await Promise.all([
      commitResponse(ana, chatId, body),
      commitResponse(ben, chatId, body),
    ]);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const rejected = responses.find((r) => r.status === 409);
    expect((await errorOf(rejected as Response)).code).toBe("stale_epoch");
    expect(await countRoomRows(chatId, "message")).toBe(2);
    expect((await groupStatus(ana, chatId)).epoch).toBe(2);
  });
});

describe("commits in the log", () => {
  it("orders commits between messages in history and sync", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const before = await sendText(anaSocket, chatId, "before");
    const reply = await commit(ana, chatId, 0, { added: [ben] });
    const after = await sendText(anaSocket, chatId, "after");
    expect(reply.seq).toBe(before.seq + 1);
    expect(after.seq).toBe(reply.seq + 1);

    const messages = await history(anaSocket, chatId);
    expect(messages.map((m) => [m.seq, m.kind])).toEqual([
      [before.seq, "message"],
      [reply.seq, "commit"],
      [after.seq, "message"],
    ]);
    const event = JSON.parse(messages[1]?.body ?? "") as CommitEvent;
    expect(event).toEqual({
      epoch: 0,
      commit: COMMIT,
      committer: deviceOf(ana),
      added: [deviceOf(ben)],
      removed: [],
    });
    expect(messages[1]?.senderDeviceId).toBe(ana.deviceId);

    const benSocket = await open(ben);
    benSocket.send({
      type: "sync",
      rid: "s",
      chats: [{ chatId, afterSeq: 0 }],
    });
    const page = await benSocket.next("messages", (f) => f.rid === "s");
    expect(page.messages.map((m) => m.kind)).toEqual([
      "message",
      "commit",
      "message",
    ]);
    await benSocket.next("sync.done", (f) => f.rid === "s");
  });

  it("arrives live as a message frame of kind commit", async () => {
    const { ana, ben, chatId } = await pair();
    const ana2 = await signUp(ana.phone);
    const benSocket = await open(ben);
    const ana2Socket = await open(ana2);
    const reply = await commit(ana, chatId, 0, { added: [ben, ana2] });

    const received = await benSocket.next(
      "message",
      (f) => f.message.seq === reply.seq,
    );
    expect(received.message.kind).toBe("commit");
    expect(received.message.senderId).toBe(ana.id);
    const mirrored = await ana2Socket.next(
      "message",
      (f) => f.message.seq === reply.seq,
    );
    expect(mirrored.message.kind).toBe("commit");
    const pending = await benSocket.next("mls.pending");
    expect(pending.chatId).toBe(chatId);
    expect((await ana2Socket.next("mls.pending")).chatId).toBe(chatId);
  });

  it("counts no commit as unread or chat activity", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const text = await sendText(anaSocket, chatId, "hi");
    const reply = await commit(ana, chatId, 0, { added: [ben] });
    await commit(ana, chatId, 1);

    const benSocket = await open(ben);
    benSocket.send({
      type: "sync",
      rid: "s",
      chats: [{ chatId, afterSeq: 0 }],
    });
    const inbox = await benSocket.next("inbox");
    const row = inbox.chats.find((c) => c.id === chatId);
    expect(row?.lastSeq).toBe(reply.seq + 1);
    expect(row?.unread).toBe(1);
    expect(row?.lastActivityAt).toBe(text.ts);
    await benSocket.next("sync.done", (f) => f.rid === "s");
    const update = await roomStub(chatId).chatUpdateFor(ben.id);
    expect(update?.unread).toBe(1);
    expect(update?.lastActivityAt).toBe(text.ts);
  });

  it("names no commit author for receipts", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const text = await sendText(await open(ben), chatId, "hi");
    const authors = await runInDurableObject(roomStub(chatId), (instance) => {
      const { store } = instance as unknown as { store: RoomStore };
      const all = { after: 0, upTo: text.seq };
      return store.authorsBetween(all, all);
    });
    expect(authors).toEqual([ben.id]);
  });

  it("keeps commits out of edits, reactions and deletes", async () => {
    const { ana, ben, chatId } = await pair();
    const reply = await commit(ana, chatId, 0, { added: [ben] });
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const [stored] = (await history(anaSocket, chatId)).filter(
      (m) => m.seq === reply.seq,
    );
    const commitId = stored?.id ?? "";

    for (const [socket, kind] of [
      [anaSocket, "edit"],
      [benSocket, "reaction"],
    ] as const) {
      const id = newMessageId();
      socket.send({
        type: "send",
        chatId,
        message: { id, kind, ref: commitId, body: "x" },
      });
      const error = await socket.next("error", (f) => f.id === id);
      expect(error.error.code).toBe("forbidden");
      expect(error.error.field).toBe("message.ref");
    }
    anaSocket.send({ type: "delete", rid: "d", chatId, messageId: commitId });
    const deleteError = await anaSocket.next("error", (f) => f.rid === "d");
    expect(deleteError.error.code).toBe("forbidden");

    const response = await api("POST", `/api/chats/${chatId}/messages`, {
      cookie: ana.cookie,
      body: { id: newMessageId(), kind: "commit", body: COMMIT },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("kind");
    expect(await countRoomRows(chatId, "message")).toBe(1);
  });
});

describe("welcomes", () => {
  it("keeps the newest welcome for an offline device", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const first = await groupStatus(ben, chatId);
    expect(first.inGroup).toBe(true);
    expect(first.welcome).toEqual({
      epoch: 1,
      welcome: WELCOME,
      ratchetTree: TREE,
    });

    await commit(ana, chatId, 1, {
      removed: [ben],
      added: [ben],
      welcome: "bmV3ZXI",
    });
    const second = await groupStatus(ben, chatId);
    expect(second.welcome).toEqual({
      epoch: 2,
      welcome: "bmV3ZXI",
      ratchetTree: TREE,
    });
    expect(await countRoomRows(chatId, "mls_welcome")).toBe(1);
  });

  it("drops the welcome of a removed device", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    await commit(ana, chatId, 1, { removed: [ben] });
    const status = await groupStatus(ben, chatId);
    expect(status.inGroup).toBe(false);
    expect(status.welcome).toBeNull();
    expect(await countRoomRows(chatId, "mls_welcome")).toBe(0);
    expect(await countRoomRows(chatId, "mls_welcome_tree")).toBe(0);
  });

  it("drops a device's welcome once it commits", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    await commit(ben, chatId, 1);
    expect((await groupStatus(ben, chatId)).welcome).toBeNull();
  });

  it("accepts a welcome over the message body limit", async () => {
    const { ana, ben, chatId } = await pair();
    const welcome = "w".repeat(MAX_BODY_BYTES * 2);
    await commit(ana, chatId, 0, { added: [ben], welcome });
    expect((await groupStatus(ben, chatId)).welcome?.welcome).toBe(welcome);
  });
});

describe("missing and stale devices", () => {
  it("lists a new device as missing", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const ben2 = await signUp(ben.phone);
    const status = await groupStatus(ana, chatId);
    expect(status.missing).toEqual([deviceOf(ben2)]);
    expect(status.stale).toEqual([]);
  });

  it("lists a revoked device as stale", async () => {
    const { ana, ben, chatId } = await pair();
    const ben2 = await signUp(ben.phone);
    await commit(ana, chatId, 0, { added: [ben, ben2] });
    const revoked = await api("DELETE", `/api/devices/${ben2.deviceId}`, {
      cookie: ben.cookie,
    });
    expect(revoked.status).toBe(204);
    const status = await groupStatus(ana, chatId);
    expect(status.stale).toEqual([deviceOf(ben2)]);
    expect(status.missing).toEqual([]);

    await commit(ana, chatId, 1, { removed: [ben2] });
    const after = await groupStatus(ana, chatId);
    expect(after.stale).toEqual([]);
    expect(after.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
  });

  it("lists the devices of a removed member as stale", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    await commit(ana, chatId, 0, { added: [ben, cleo] });
    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${cleo.id}`,
      {
        cookie: ana.cookie,
      },
    );
    expect(removed.status).toBe(200);
    const status = await groupStatus(ben, chatId);
    expect(status.stale).toEqual([deviceOf(cleo)]);
    expect(status.missing).toEqual([]);

    const readd = await commitResponse(ana, chatId, {
      epoch: 1,
      commit: COMMIT,
      welcome: WELCOME,
      ratchetTree: TREE,
      added: [deviceOf(cleo)],
      removed: [deviceOf(cleo)],
    });
    expect(readd.status).toBe(409);
    const error = await errorOf(readd);
    expect(error.code).toBe("conflict");
    expect(error.field).toBe("added.0");
    expect(error.message).toContain("not a member");
    await commit(ben, chatId, 1, { removed: [cleo] });
    expect((await groupStatus(ana, chatId)).stale).toEqual([]);
  });
});

describe("commit checks", () => {
  it("rejects devices that cannot be added or removed", async () => {
    const { ana, ben, chatId } = await pair();
    const outsider = await signUp();
    const ben2 = await signUp(ben.phone);
    await commit(ana, chatId, 0, { added: [ben] });
    const cases = [
      {
        added: [deviceOf(outsider)],
        removed: [],
        field: "added.0",
        text: "not a member",
      },
      {
        added: [{ userId: ben.id, deviceId: outsider.deviceId }],
        removed: [],
        field: "added.0",
        text: "not an active device",
      },
      {
        added: [deviceOf(ben)],
        removed: [],
        field: "added.0",
        text: "already in the group",
      },
      {
        added: [],
        removed: [deviceOf(ben2)],
        field: "removed.0",
        text: "not in the group",
      },
    ];
    for (const { added, removed, field, text } of cases) {
      const response = await commitResponse(ana, chatId, {
        epoch: 1,
        commit: COMMIT,
        welcome: WELCOME,
        ratchetTree: TREE,
        added,
        removed,
      });
      expect(response.status).toBe(409);
      const error = await errorOf(response);
      expect(error.code).toBe("conflict");
      expect(error.field).toBe(field);
      expect(error.message).toContain(text);
    }
    expect(await countRoomRows(chatId, "message")).toBe(1);
  });

  it("rejects repeated devices and self-removal", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const repeated = await commitResponse(ana, chatId, {
      epoch: 1,
      commit: COMMIT,
      added: [],
      removed: [deviceOf(ben), deviceOf(ben)],
    });
    expect(repeated.status).toBe(400);
    expect((await errorOf(repeated)).field).toBe("removed.1");
    const self = await commitResponse(ana, chatId, {
      epoch: 1,
      commit: COMMIT,
      added: [],
      removed: [deviceOf(ana)],
    });
    expect(self.status).toBe(400);
    expect((await errorOf(self)).field).toBe("removed.0");
  });

  it("rejects a commit from a device outside the group", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0);
    const response = await commitResponse(ben, chatId, {
      epoch: 1,
      commit: COMMIT,
      added: [],
      removed: [],
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toContain("request-add");
  });

  it("names the field of an oversized or invalid body", async () => {
    const { ana, ben, chatId } = await pair();
    const valid = { epoch: 0, commit: COMMIT, added: [], removed: [] };
    const cases: { body: unknown; status: number; field?: string }[] = [
      {
        body: { ...valid, commit: "c".repeat(MAX_BODY_BYTES) },
        status: 413,
        field: "commit",
      },
      {
        body: { ...valid, commit: "c".repeat(MAX_HANDSHAKE_CHARS + 1) },
        status: 413,
        field: "commit",
      },
      {
        body: { ...valid, commit: "not base64!" },
        status: 400,
        field: "commit",
      },
      { body: { ...valid, epoch: -1 }, status: 400, field: "epoch" },
      {
        body: { ...valid, added: [deviceOf(ben)] },
        status: 400,
        field: "welcome",
      },
      { body: { ...valid, removed: "all" }, status: 400, field: "removed" },
      { body: "{not json", status: 400 },
    ];
    for (const { body, status, field } of cases) {
      const response = await commitResponse(ana, chatId, body);
      expect(response.status).toBe(status);
      expect((await errorOf(response)).field).toBe(field);
    }
    expect(await countRoomRows(chatId, "message")).toBe(0);
    expect((await groupStatus(ana, chatId)).epoch).toBe(0);

    const badReset = await requestAdd(ana, chatId, { reset: "yes" });
    expect(badReset.status).toBe(400);
    expect((await errorOf(badReset)).field).toBe("reset");
  });
});

describe("request-add", () => {
  it("asks the members to add a device outside the group", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0);
    const anaSocket = await open(ana);
    const response = await requestAdd(ben, chatId, { reset: false });
    expect(response.status).toBe(204);
    expect((await anaSocket.next("mls.pending")).chatId).toBe(chatId);
    const status = await groupStatus(ana, chatId);
    expect(status.missing).toEqual([deviceOf(ben)]);
  });

  it("limits how often a device asks", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0);
    expect((await requestAdd(ben, chatId, { reset: false })).status).toBe(204);
    const again = await requestAdd(ben, chatId, { reset: false });
    expect(again.status).toBe(429);
    const error = await errorOf(again);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(error.retryAfter).toBeLessThanOrEqual(
      REQUEST_ADD_INTERVAL_MS / 1000,
    );
    await expireRequestAdd(chatId);
    expect((await requestAdd(ben, chatId, { reset: false })).status).toBe(204);
  });

  it("refuses a device in the group unless it resets", async () => {
    const { ana, ben, chatId } = await pair();
    await commit(ana, chatId, 0, { added: [ben] });
    const conflict = await requestAdd(ben, chatId, { reset: false });
    expect(conflict.status).toBe(409);
    const error = await errorOf(conflict);
    expect(error.code).toBe("conflict");
    expect(error.message).toContain("already in the chat's group");
    expect((await groupStatus(ana, chatId)).stale).toEqual([]);

    expect((await requestAdd(ben, chatId, { reset: true })).status).toBe(204);
    const status = await groupStatus(ana, chatId);
    expect(status.stale).toEqual([deviceOf(ben)]);
    expect(status.missing).toEqual([]);

    await commit(ana, chatId, 1, { removed: [ben], added: [ben] });
    const after = await groupStatus(ana, chatId);
    expect(after.stale).toEqual([]);
    expect(after.devices).toEqual([deviceOf(ana), deviceOf(ben)]);
  });
});
