import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_GROUP_MEMBERS, type SystemEvent } from "../../protocol/index.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  type ChatReplyBody,
  type DetailReplyBody,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function systemEvents(chatId: string): Promise<SystemEvent[]> {
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
  const rows = await runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ body: string }>(
        "SELECT body FROM message WHERE kind = 'system' ORDER BY seq",
      )
      .toArray(),
  );
  return rows.map((row) => JSON.parse(row.body) as SystemEvent);
}

function members(detail: DetailReplyBody) {
  return detail.chat.members;
}

describe("group creation", () => {
  it("makes the creator admin and records who was added", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo], "Hikers");
    const detail = await json<DetailReplyBody>(
      await api("GET", `/api/chats/${chatId}`, { cookie: ben.cookie }),
    );
    expect(detail.chat.name).toBe("Hikers");
    expect(members(detail).map((m) => [m.userId, m.role])).toEqual([
      [ana.id, "admin"],
      [ben.id, "member"],
      [cleo.id, "member"],
    ]);
    expect(await systemEvents(chatId)).toEqual([
      { event: "created", actorId: ana.id, name: "Hikers" },
      { event: "added", actorId: ana.id, targetIds: [ben.id, cleo.id] },
    ]);
  });

  it("rejects an unknown member id naming it", async () => {
    const ana = await signUp();
    const ghost = "00000000-0000-7000-8000-000000000000";
    const response = await api("POST", "/api/chats/group", {
      cookie: ana.cookie,
      body: { name: "Ghosts", memberIds: [ghost] },
    });
    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.message).toContain(ghost);
    expect(error.field).toBe("memberIds");
  });
});

describe("group admin rules", () => {
  it("lets only admins rename, add, remove and promote", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const asBen = { cookie: ben.cookie };
    const attempts = [
      await api("PATCH", `/api/chats/${chatId}`, {
        ...asBen,
        body: { name: "Mine" },
      }),
      await api("POST", `/api/chats/${chatId}/members`, {
        ...asBen,
        body: { userIds: [cleo.id] },
      }),
      await api("DELETE", `/api/chats/${chatId}/members/${ana.id}`, asBen),
      await api("PATCH", `/api/chats/${chatId}/members/${ben.id}`, {
        ...asBen,
        body: { role: "admin" },
      }),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(403);
      expect((await errorOf(response)).code).toBe("forbidden");
    }

    const asAna = { cookie: ana.cookie };
    const renamed = await api("PATCH", `/api/chats/${chatId}`, {
      ...asAna,
      body: { name: "Ours" },
    });
    expect((await json<DetailReplyBody>(renamed)).chat.name).toBe("Ours");

    const added = await api("POST", `/api/chats/${chatId}/members`, {
      ...asAna,
      body: { userIds: [cleo.id] },
    });
    expect(members(await json<DetailReplyBody>(added))).toHaveLength(3);

    const promoted = await api(
      "PATCH",
      `/api/chats/${chatId}/members/${ben.id}`,
      {
        ...asAna,
        body: { role: "admin" },
      },
    );
    expect(
      members(await json<DetailReplyBody>(promoted)).find(
        (m) => m.userId === ben.id,
      )?.role,
    ).toBe("admin");

    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${cleo.id}`,
      asAna,
    );
    expect(
      members(await json<DetailReplyBody>(removed)).map((m) => m.userId),
    ).toEqual([ana.id, ben.id]);

    const events = (await systemEvents(chatId)).map((e) => e.event);
    expect(events).toEqual([
      "created",
      "added",
      "renamed",
      "added",
      "promoted",
      "removed",
    ]);
  });

  it("rejects group operations on a direct chat", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const response = await api("PATCH", `/api/chats/${chatId}`, {
      cookie: ana.cookie,
      body: { name: "Nope" },
    });
    expect(response.status).toBe(400);
  });

  it("promotes the longest-standing member when the last admin leaves", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    const left = await api("DELETE", `/api/chats/${chatId}/members/${ana.id}`, {
      cookie: ana.cookie,
    });
    expect(left.status).toBe(200);
    const detail = await json<DetailReplyBody>(
      await api("GET", `/api/chats/${chatId}`, { cookie: cleo.cookie }),
    );
    expect(members(detail).map((m) => [m.userId, m.role])).toEqual([
      [ben.id, "admin"],
      [cleo.id, "member"],
    ]);
    const events = await systemEvents(chatId);
    expect(events.slice(-2)).toEqual([
      { event: "left", actorId: ana.id },
      { event: "promoted", actorId: ana.id, targetId: ben.id },
    ]);
  });

  it("rejects adding beyond the member limit as group_full", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, []);
    const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    await runInDurableObject(stub, (_instance, state) => {
      for (let i = 1; i < MAX_GROUP_MEMBERS; i += 1) {
        const id = `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`;
        state.storage.sql.exec(
          "INSERT INTO member (user_id, role, joined_at, join_order, from_seq) VALUES (?, 'member', 0, ?, 1)",
          id,
          i + 1,
        );
      }
    });
    const response = await api("POST", `/api/chats/${chatId}/members`, {
      cookie: ana.cookie,
      body: { userIds: [ben.id] },
    });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe("group_full");
  });
});

describe("former members", () => {
  it("read only up to their leave", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId, "before");
    const benSocket = await open(ben);

    await api("DELETE", `/api/chats/${chatId}/members/${ben.id}`, {
      cookie: ana.cookie,
    });
    const leftChat = await benSocket.next(
      "chat",
      (f) => f.chat.id === chatId && f.chat.left,
    );
    expect(leftChat.chat.left).toBe(true);
    const removal = await benSocket.next(
      "message",
      (f) => f.message.kind === "system",
    );
    expect(JSON.parse(removal.message.body)).toEqual({
      event: "removed",
      actorId: ana.id,
      targetId: ben.id,
    });

    await sendText(anaSocket, chatId, "after");
    benSocket.send({
      type: "history",
      rid: "h",
      chatId,
      afterSeq: 0,
      limit: 50,
    });
    const page = await benSocket.next("messages", (f) => f.rid === "h");
    const bodies = page.messages
      .filter((m) => m.kind === "message")
      .map((m) => m.body);
    expect(bodies).toEqual(["before"]);
    expect(page.messages.at(-1)?.seq).toBe(removal.message.seq);

    const message = { id: newMessageId(), kind: "message", body: "x" };
    benSocket.send({ type: "send", chatId, message });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("forbidden");

    const detail = await api("GET", `/api/chats/${chatId}`, {
      cookie: ben.cookie,
    });
    expect(detail.status).toBe(403);
  });
});

describe("delete for everyone in groups", () => {
  it("reaches former members who saw the message", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const anaSocket = await open(ana);
    const original = await sendText(anaSocket, chatId, "oops");
    await api("DELETE", `/api/chats/${chatId}/members/${ben.id}`, {
      cookie: ben.cookie,
    });
    const benSocket = await open(ben);
    anaSocket.send({ type: "delete", chatId, messageId: original.id });

    const notice = await benSocket.next("deleted");
    expect(notice.id).toBe(original.id);
    expect(notice.seq).toBe(original.seq);
  });
});

describe("inbox settings", () => {
  it("pins and mutes per person", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const response = await api("PATCH", `/api/inbox/${chatId}`, {
      cookie: ana.cookie,
      body: { pinned: true, mutedUntil: 123 },
    });
    const { chat } = await json<ChatReplyBody>(response);
    expect(chat.pinned).toBe(true);
    expect(chat.mutedUntil).toBe(123);
    const other = await json<ChatReplyBody>(
      await api("PATCH", `/api/inbox/${chatId}`, {
        cookie: ben.cookie,
        body: {},
      }),
    );
    expect(other.chat.pinned).toBe(false);
  });
});
