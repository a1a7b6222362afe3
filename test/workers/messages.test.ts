import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  MAX_BODY_BYTES,
  MAX_FRAME_CHARS,
  MAX_TEXT_BYTES,
  SEND_BURST,
  SENDS_PER_SECOND,
  type ServerFrame,
} from "../../protocol/index.ts";
import { SendBudget } from "../../durable-objects/user-hub/sockets.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  type DetailReplyBody,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

async function open(user: Parameters<typeof connect>[0]): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function roomStub(chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

async function countRows(chatId: string, id: string): Promise<number> {
  return runInDurableObject(
    roomStub(chatId),
    (_instance, state) =>
      state.storage.sql
        .exec<{ n: number }>(
          "SELECT COUNT(*) AS n FROM message WHERE id = ?",
          id,
        )
        .one().n,
  );
}

/** Writes `count` messages from `senderId` straight into a room's log. */
async function seedMessages(chatId: string, senderId: string, count: number) {
  await runInDurableObject(roomStub(chatId), (_instance, state) => {
    for (let seq = 1; seq <= count; seq += 1) {
      state.storage.sql.exec(
        `INSERT INTO message (seq, id, kind, ref, sender_id, sender_device_id, body, ts)
         VALUES (?, ?, 'message', NULL, ?, NULL, ?, ?)`,
        seq,
        newMessageId(),
        senderId,
        `m${seq}`,
        Date.now(),
      );
    }
  });
}

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return { ana, ben, chatId };
}

describe("send", () => {
  it("stores a resent id once with the same seq", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const id = newMessageId();
    const first = await sendText(socket, chatId, "hi", id);
    const second = await sendText(socket, chatId, "hi again", id);
    expect(second.seq).toBe(first.seq);
    expect(second.ts).toBe(first.ts);
    expect(await countRows(chatId, id)).toBe(1);
  });

  it("rejects an id reused by another sender", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const id = newMessageId();
    await sendText(anaSocket, chatId, "mine", id);
    benSocket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: "x" },
    });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("conflict");
    expect(error.id).toBe(id);
    expect(error.chatId).toBe(chatId);
  });

  it("gives concurrent sends consecutive seqs", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const sends = [];
    for (let i = 0; i < 10; i += 1) {
      sends.push(sendText(anaSocket, chatId, `a${i}`));
      sends.push(sendText(benSocket, chatId, `b${i}`));
    }
    const seqs = (await Promise.all(sends))
      .map((ok) => ok.seq)
      .sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it("delivers to the other member and the sender's other device", async () => {
    const { ana, ben, chatId } = await pair();
    const anaPhone = await signUp(ana.phone, "Phone");
    const sender = await open(ana);
    const otherDevice = await open(anaPhone);
    const receiver = await open(ben);
    const ok = await sendText(sender, chatId, "hello ben");
    const received = await receiver.next(
      "message",
      (f) => f.message.seq === ok.seq,
    );
    expect(received.message.body).toBe("hello ben");
    expect(received.message.senderId).toBe(ana.id);
    expect(received.message.senderDeviceId).toBe(ana.deviceId);
    const mirrored = await otherDevice.next(
      "message",
      (f) => f.message.seq === ok.seq,
    );
    expect(mirrored.message.id).toBe(ok.id);
    receiver.send({ type: "sync", chats: [{ chatId, afterSeq: ok.seq }] });
    const inbox = await receiver.next("inbox");
    expect(inbox.chats[0]?.lastSeq).toBe(ok.seq);
    expect(inbox.chats[0]?.unread).toBe(1);
  });

  it("reaches a hub that lacks the chat row", async () => {
    const { ana, ben, chatId } = await pair();
    const benHub = env.USER_HUB.get(env.USER_HUB.idFromName(ben.id));
    await runInDurableObject(benHub, (_instance, state) => {
      state.storage.sql.exec("DELETE FROM inbox WHERE chat_id = ?", chatId);
    });
    const receiver = await open(ben);
    const sender = await open(ana);
    const ok = await sendText(sender, chatId, "first");

    const chat = await receiver.next("chat", (f) => f.chat.id === chatId);
    expect(chat.chat.lastSeq).toBe(ok.seq);
    expect(chat.chat.unread).toBe(1);
    const message = await receiver.next("message");
    expect(message.message.seq).toBe(ok.seq);
  });

  it("accepts a 64 KiB text body", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const body = JSON.stringify({ v: 1, text: "x".repeat(MAX_TEXT_BYTES) });
    const ok = await sendText(socket, chatId, body);
    expect(ok.seq).toBe(1);
  });

  it("rejects a body over MAX_BODY_BYTES as too_large", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const id = newMessageId();
    const body = "y".repeat(MAX_BODY_BYTES + 1);
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body },
    });
    const error = await socket.next("error");
    expect(error.error.code).toBe("too_large");
    expect(error.error.field).toBe("message.body");
    expect(error.id).toBe(id);
    const ok = await sendText(socket, chatId, "still open");
    expect(ok.seq).toBe(1);
  });

  it("names the message of a send frame over the frame cap", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const id = newMessageId();
    // Within MAX_BODY_BYTES as UTF-8, but each control character becomes
    // six characters of JSON, so the frame exceeds MAX_FRAME_CHARS.
    const body = "\u0001".repeat(Math.ceil(MAX_FRAME_CHARS / 6) + 1);
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body },
    });
    const error = await socket.next("error");
    expect(error.error.code).toBe("too_large");
    expect(error.id).toBe(id);
    expect(error.chatId).toBe(chatId);
    const ok = await sendText(socket, chatId, "still open");
    expect(ok.seq).toBe(1);
  });

  it("rate limits a device over its budget", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(ana.id));
    // A budget of one send that refills once a minute, so the second send
    // is over budget however slowly the frames arrive.
    await runInDurableObject(hub, (instance) => {
      Object.assign(instance, { sendBudget: new SendBudget(1 / 60, 1) });
    });
    await sendText(socket, chatId, "within budget");
    const id = newMessageId();
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: "over" },
    });

    const error = await socket.next("error");
    expect(error.error.code).toBe("rate_limited");
    expect(error.id).toBe(id);
    expect(error.error.retryAfter).toBeGreaterThan(0);
  });
});

describe("send budget", () => {
  it("allows the burst, then the sustained rate", () => {
    const budget = new SendBudget(SENDS_PER_SECOND, SEND_BURST);
    for (let i = 0; i < SEND_BURST; i += 1) {
      expect(budget.take("device", 0)).toBe(0);
    }
    expect(budget.take("device", 0)).toBe(1);
    expect(budget.take("device", 1000 / SENDS_PER_SECOND)).toBe(0);
    expect(budget.take("device", 1000 / SENDS_PER_SECOND)).toBe(1);
    expect(budget.take("other", 0)).toBe(0);
  });
});

describe("frame validation", () => {
  it("names the invalid field and keeps the socket open", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    socket.send({
      type: "history",
      rid: "r1",
      chatId,
      beforeSeq: 5,
      limit: 100_000,
    });
    const error = await socket.next("error");
    expect(error.rid).toBe("r1");
    expect(error.error.code).toBe("too_large");
    expect(error.error.field).toBe("limit");
    socket.send("not json");
    const parse = await socket.next("error");
    expect(parse.error.code).toBe("invalid_request");
    socket.send({ type: "teleport" });
    const unknown = await socket.next("error");
    expect(unknown.error.field).toBe("type");
    const ok = await sendText(socket, chatId, "after errors");
    expect(ok.seq).toBe(1);
  });

  it("rejects an edit without ref", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const id = newMessageId();
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "edit", body: "x" },
    });
    const error = await socket.next("error");
    expect(error.error.field).toBe("message.ref");
    expect(error.id).toBe(id);
  });
});

describe("history", () => {
  it("pages in order in both directions", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    for (let i = 1; i <= 7; i += 1) await sendText(socket, chatId, `m${i}`);
    socket.send({
      type: "history",
      rid: "old",
      chatId,
      beforeSeq: 8,
      limit: 3,
    });
    const newest = await socket.next("messages", (f) => f.rid === "old");
    expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
    expect(newest.hasMore).toBe(true);
    socket.send({
      type: "history",
      rid: "older",
      chatId,
      beforeSeq: 3,
      limit: 3,
    });
    const oldest = await socket.next("messages", (f) => f.rid === "older");
    expect(oldest.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(oldest.hasMore).toBe(false);

    socket.send({ type: "history", rid: "new", chatId, afterSeq: 2, limit: 3 });
    const forward = await socket.next("messages", (f) => f.rid === "new");
    expect(forward.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(forward.hasMore).toBe(true);

    socket.send({ type: "history", rid: "end", chatId, afterSeq: 5, limit: 3 });
    const end = await socket.next("messages", (f) => f.rid === "end");
    expect(end.messages.map((m) => m.seq)).toEqual([6, 7]);
    expect(end.hasMore).toBe(false);
  });
});

describe("sync", () => {
  it("sends the inbox, missed messages and receipts", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    for (let i = 1; i <= 3; i += 1) await sendText(anaSocket, chatId, `m${i}`);
    const benSocket = await open(ben);
    benSocket.send({
      type: "sync",
      rid: "s1",
      chats: [{ chatId, afterSeq: 1 }],
    });
    const inbox = await benSocket.next("inbox");
    expect(inbox.chats.map((c) => c.id)).toEqual([chatId]);
    expect(inbox.chats[0]?.unread).toBe(3);
    const page = await benSocket.next("messages", (f) => f.rid === "s1");
    expect(page.messages.map((m) => m.seq)).toEqual([2, 3]);
    expect(page.hasMore).toBe(false);
    const receipt = await benSocket.next("receipt", (f) => f.userId === ana.id);
    expect(receipt.chatId).toBe(chatId);
    await benSocket.next("sync.done", (f) => f.rid === "s1");
  });

  it("pages a long gap and newest pages", async () => {
    const { ana, ben, chatId } = await pair();
    const cleo = await signUp();
    const otherChat = await openDirect(ben, cleo);
    await seedMessages(chatId, ana.id, 450);
    await seedMessages(otherChat, cleo.id, 250);
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(ben.id));
    await runInDurableObject(hub, (_instance, state) => {
      state.storage.sql.exec(
        "UPDATE inbox SET last_seq = 450 WHERE chat_id = ?",
        chatId,
      );
      state.storage.sql.exec(
        "UPDATE inbox SET last_seq = 250 WHERE chat_id = ?",
        otherChat,
      );
    });
    const socket = await open(ben);
    socket.send({ type: "sync", rid: "s", chats: [{ chatId, afterSeq: 10 }] });
    await socket.next("sync.done", (f) => f.rid === "s");

    const pages = socket.frames.filter(
      (f): f is Extract<ServerFrame, { type: "messages" }> =>
        f.type === "messages",
    );
    const gap = pages.filter((p) => p.chatId === chatId);
    expect(
      gap.map((p) => [p.messages[0]?.seq, p.messages.at(-1)?.seq, p.hasMore]),
    ).toEqual([
      [11, 210, true],
      [211, 410, true],
      [411, 450, false],
    ]);
    const newest = pages.filter((p) => p.chatId === otherChat);
    expect(newest).toHaveLength(1);
    expect(newest[0]?.messages[0]?.seq).toBe(51);
    expect(newest[0]?.messages.at(-1)?.seq).toBe(250);
    expect(newest[0]?.hasMore).toBe(true);
  });

  it("sends only the newest page for an unknown chat", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId, "one");
    await sendText(anaSocket, chatId, "two");
    const benSocket = await open(ben);
    benSocket.send({ type: "sync", chats: [] });
    const page = await benSocket.next("messages");
    expect(page.messages.map((m) => m.body)).toEqual(["one", "two"]);
    await benSocket.next("sync.done");
  });
});

describe("receipts", () => {
  it("move forward only and read implies delivered", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    for (let i = 0; i < 3; i += 1) await sendText(anaSocket, chatId);
    const benSocket = await open(ben);
    benSocket.send({ type: "receipt", chatId, kind: "read", seq: 2 });
    const first = await anaSocket.next(
      "receipt",
      (f) => f.userId === ben.id && f.readSeq === 2,
    );
    expect(first.deliveredSeq).toBe(2);
    const chat = await benSocket.next("chat", (f) => f.chat.readSeq === 2);
    expect(chat.chat.unread).toBe(1);
    benSocket.send({ type: "receipt", chatId, kind: "delivered", seq: 1 });
    // An older position changes nothing, so no frame replies to it. The reply
    // to a later frame shows that the room has handled the receipt.
    benSocket.send({
      type: "history",
      rid: "after",
      chatId,
      afterSeq: 0,
      limit: 1,
    });
    await benSocket.next("messages", (f) => f.rid === "after");
    expect(benSocket.frames.filter((f) => f.type === "chat")).toEqual([]);
    const afterOlder = await json<DetailReplyBody>(
      await api("GET", `/api/chats/${chatId}`, { cookie: ana.cookie }),
    );
    const unchanged = afterOlder.chat.members.find((m) => m.userId === ben.id);
    expect(unchanged?.deliveredSeq).toBe(2);
    expect(unchanged?.readSeq).toBe(2);

    benSocket.send({ type: "receipt", chatId, kind: "read", seq: 99 });
    const clamped = await anaSocket.next(
      "receipt",
      (f) => f.userId === ben.id && f.readSeq === 3,
    );
    expect(clamped.deliveredSeq).toBe(3);
    const detail = await json<DetailReplyBody>(
      await api("GET", `/api/chats/${chatId}`, { cookie: ana.cookie }),
    );
    const benMember = detail.chat.members.find(
      (m: { userId: string }) => m.userId === ben.id,
    );
    expect(benMember?.readSeq).toBe(3);
    expect(benMember?.deliveredSeq).toBe(3);
  });

  it("hide read positions when read receipts are off", async () => {
    const { ana, ben, chatId } = await pair();
    const settings = await api("PATCH", "/api/me/settings", {
      cookie: ben.cookie,
      body: { readReceipts: false },
    });
    expect(settings.status).toBe(200);

    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId);
    const benSocket = await open(ben);
    benSocket.send({ type: "receipt", chatId, kind: "read", seq: 1 });
    const seen = await anaSocket.next(
      "receipt",
      (f) => f.userId === ben.id && f.deliveredSeq === 1,
    );
    expect(seen.readSeq).toBe(0);
    const own = await benSocket.next("chat", (f) => f.chat.readSeq === 1);
    expect(own.chat.unread).toBe(0);

    const detail = await json<DetailReplyBody>(
      await api("GET", `/api/chats/${chatId}`, { cookie: ana.cookie }),
    );
    const benMember = detail.chat.members.find(
      (m: { userId: string }) => m.userId === ben.id,
    );
    expect(benMember?.readSeq).toBe(0);
    expect(benMember?.deliveredSeq).toBe(1);

    const reply = await sendText(benSocket, chatId);
    anaSocket.send({ type: "receipt", chatId, kind: "read", seq: reply.seq });
    const hiddenFromBen = await benSocket.next(
      "receipt",
      (f) => f.userId === ana.id && f.deliveredSeq === reply.seq,
    );
    expect(hiddenFromBen.readSeq).toBe(0);
  });
});

describe("group read receipts", () => {
  it("are shared even when turned off", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    await api("PATCH", "/api/me/settings", {
      cookie: ben.cookie,
      body: { readReceipts: false },
    });
    const anaSocket = await open(ana);
    const ok = await sendText(anaSocket, chatId);
    const benSocket = await open(ben);
    benSocket.send({ type: "receipt", chatId, kind: "read", seq: ok.seq });

    const seen = await anaSocket.next(
      "receipt",
      (f) => f.userId === ben.id && f.deliveredSeq === ok.seq,
    );
    expect(seen.readSeq).toBe(ok.seq);
  });
});

describe("membership", () => {
  it("forbids a non-member to send, page or read detail", async () => {
    const { chatId } = await pair();
    const eve = await signUp();
    const socket = await open(eve);
    const id = newMessageId();
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: "hi" },
    });
    const sendError = await socket.next("error");
    expect(sendError.error.code).toBe("forbidden");
    expect(sendError.id).toBe(id);
    socket.send({
      type: "history",
      rid: "h",
      chatId,
      beforeSeq: 10,
      limit: 10,
    });
    const historyError = await socket.next("error", (f) => f.rid === "h");
    expect(historyError.error.code).toBe("forbidden");

    const detail = await api("GET", `/api/chats/${chatId}`, {
      cookie: eve.cookie,
    });
    expect(detail.status).toBe(403);

    const unknown = await api("GET", `/api/chats/dm_${"0".repeat(32)}`, {
      cookie: eve.cookie,
    });
    expect(unknown.status).toBe(403);
    expect((await errorOf(unknown)).message).toBe(
      (await errorOf(detail)).message,
    );
  });

  it("opens the same direct chat from both sides", async () => {
    const { ana, ben, chatId } = await pair();
    expect(await openDirect(ben, ana)).toBe(chatId);
    const self = await api("POST", "/api/chats/direct", {
      cookie: ana.cookie,
      body: { userId: ana.id },
    });
    expect(self.status).toBe(400);
  });
});

describe("edits and reactions", () => {
  it("allow editing only one's own message", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "typo");
    const edit = {
      id: newMessageId(),
      kind: "edit",
      ref: original.id,
      body: "fixed",
    };
    anaSocket.send({ type: "send", chatId, message: edit });
    await anaSocket.next("send.ok", (f) => f.id === edit.id);
    const foreign = {
      id: newMessageId(),
      kind: "edit",
      ref: original.id,
      body: "hijack",
    };
    benSocket.send({ type: "send", chatId, message: foreign });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("forbidden");
    expect(error.id).toBe(foreign.id);
  });

  it("require an existing target for a reaction", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const target = await sendText(anaSocket, chatId, "react to me");
    const reaction = {
      id: newMessageId(),
      kind: "reaction",
      ref: target.id,
      body: "👍",
    };
    benSocket.send({ type: "send", chatId, message: reaction });
    await benSocket.next("send.ok", (f) => f.id === reaction.id);
    const missing = {
      id: newMessageId(),
      kind: "reaction",
      ref: newMessageId(),
      body: "👍",
    };
    benSocket.send({ type: "send", chatId, message: missing });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("not_found");
  });
});

describe("delete for everyone", () => {
  it("removes the body and its edits and tells members", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "secret");
    const edit = {
      id: newMessageId(),
      kind: "edit",
      ref: original.id,
      body: "secret 2",
    };
    anaSocket.send({ type: "send", chatId, message: edit });
    await anaSocket.next("send.ok", (f) => f.id === edit.id);
    anaSocket.send({
      type: "delete",
      rid: "d",
      chatId,
      messageId: original.id,
    });
    const reply = await anaSocket.next("deleted", (f) => f.rid === "d");
    expect(reply.seq).toBe(original.seq);
    const notice = await benSocket.next("deleted", (f) => f.id === original.id);
    expect(notice.seq).toBe(original.seq);

    const rows = await runInDurableObject(
      roomStub(chatId),
      (_instance, state) =>
        state.storage.sql
          .exec<{ body: string; deleted: number }>(
            "SELECT body, deleted FROM message ORDER BY seq",
          )
          .toArray(),
    );
    expect(rows).toEqual([
      { body: "", deleted: 1 },
      { body: "", deleted: 1 },
    ]);
  });

  it("recounts the recipient's unread messages", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "unread soon gone");
    await benSocket.next("message", (f) => f.message.id === original.id);
    anaSocket.send({ type: "delete", chatId, messageId: original.id });

    const chat = await benSocket.next("chat", (f) => f.chat.id === chatId);
    expect(chat.chat.unread).toBe(0);
  });

  it("keeps replies that carry a ref", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "question");
    const reply = {
      id: newMessageId(),
      kind: "message",
      ref: original.id,
      body: "answer",
    };
    benSocket.send({ type: "send", chatId, message: reply });
    await benSocket.next("send.ok", (f) => f.id === reply.id);
    anaSocket.send({
      type: "delete",
      rid: "d",
      chatId,
      messageId: original.id,
    });
    await anaSocket.next("deleted", (f) => f.rid === "d");

    const rows = await runInDurableObject(
      roomStub(chatId),
      (_instance, state) =>
        state.storage.sql
          .exec<{ body: string; deleted: number }>(
            "SELECT body, deleted FROM message ORDER BY seq",
          )
          .toArray(),
    );
    expect(rows).toEqual([
      { body: "", deleted: 1 },
      { body: "answer", deleted: 0 },
    ]);
  });

  it("answers a repeated delete the same way", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "twice");
    for (const rid of ["first", "again"]) {
      anaSocket.send({ type: "delete", rid, chatId, messageId: original.id });
      const reply = await anaSocket.next("deleted", (f) => f.rid === rid);
      expect(reply.id).toBe(original.id);
      expect(reply.seq).toBe(original.seq);
    }
    await benSocket.next("deleted", (f) => f.id === original.id);

    const rows = await runInDurableObject(
      roomStub(chatId),
      (_instance, state) =>
        state.storage.sql
          .exec<{ body: string; deleted: number }>(
            "SELECT body, deleted FROM message ORDER BY seq",
          )
          .toArray(),
    );
    expect(rows).toEqual([{ body: "", deleted: 1 }]);
  });

  it("is for the author only", async () => {
    const { ana, ben, chatId } = await pair();
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const original = await sendText(anaSocket, chatId, "mine");
    benSocket.send({
      type: "delete",
      rid: "x",
      chatId,
      messageId: original.id,
    });
    const error = await benSocket.next("error", (f) => f.rid === "x");
    expect(error.error.code).toBe("forbidden");
  });

  it("ends after the window", async () => {
    const { ana, chatId } = await pair();
    const socket = await open(ana);
    const original = await sendText(socket, chatId, "old");
    await runInDurableObject(roomStub(chatId), (_instance, state) => {
      const old = Date.now() - 49 * 60 * 60 * 1000;
      state.storage.sql.exec(
        "UPDATE message SET ts = ? WHERE id = ?",
        old,
        original.id,
      );
    });
    socket.send({
      type: "delete",
      rid: "late",
      chatId,
      messageId: original.id,
    });
    const error = await socket.next("error", (f) => f.rid === "late");
    expect(error.error.code).toBe("forbidden");
    expect(error.error.message).toContain("48 hours");
  });
});
