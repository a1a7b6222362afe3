import {
  createExecutionContext,
  env,
  runInDurableObject,
} from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PushPayload, type ErrorBody } from "../../protocol/index.ts";
import {
  MAX_PUSH_RETRY_AFTER_S,
  PUSH_RETRY_MS,
  retryDelayMs,
} from "../../durable-objects/user-hub/push-sender.ts";
import worker from "../../worker/index.ts";
import {
  createTestSubscription,
  fromBase64url,
  verifyVapid,
  type TestSubscription,
} from "../push-receiver.ts";
import { subscribe } from "./push-helpers.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

interface DevPush {
  headers: Record<string, string>;
  body: string;
}

/** A valid chat id that no chat has. */
const MISSING_CHAT = `dm_${"0".repeat(32)}`;

const PREVIEW = "pv1.7.c2VhbGVkLXByZXZpZXc";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}
async function pushesTo(subscription: TestSubscription): Promise<DevPush[]> {
  const endpoint = encodeURIComponent(subscription.json.endpoint);
  const response = await api("GET", `/api/dev/push?endpoint=${endpoint}`);
  expect(response.status).toBe(200);
  return (await json<{ pushes: DevPush[] }>(response)).pushes;
}

/** Polls until `subscription` received `count` pushes, then returns them. */
async function waitForPushes(
  subscription: TestSubscription,
  count: number,
): Promise<DevPush[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const pushes = await pushesTo(subscription);
    if (pushes.length >= count) return pushes;
    if (Date.now() > deadline) {
      throw new Error(`got ${pushes.length} pushes, expected ${count}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Verifies the VAPID header of a push and decrypts its payload. */
async function openPush(
  subscription: TestSubscription,
  push: DevPush,
): Promise<PushPayload> {
  await verifyVapid(
    push.headers.authorization ?? "",
    "https://push.invalid",
    env.VAPID_PUBLIC_KEY ?? "",
  );
  const text = await subscription.decrypt(fromBase64url(push.body));
  return PushPayload.parse(JSON.parse(text));
}

type MessagePush = Extract<PushPayload, { type: "message" }>;

/** Returns `payload` as a `message` push, or throws naming its type. */
function asMessage(payload: PushPayload): MessagePush {
  if (payload.type !== "message") {
    throw new Error(`expected a message push, got ${payload.type}`);
  }
  return payload;
}

function sendWithPreview(socket: TestSocket, chatId: string, body: string) {
  const id = newMessageId();
  const message = { id, kind: "message", body, preview: PREVIEW };
  socket.send({ type: "send", chatId, message });
  return socket.next("send.ok", (frame) => frame.id === id);
}

/**
 * Sends a `view` frame, then waits for the reply to a later frame: the
 * hub stores the view before it handles the next frame of the socket.
 */
async function setView(socket: TestSocket, chatId: string | null) {
  socket.send({
    type: "view",
    chatId,
    listed: chatId === null ? [] : [chatId],
  });
  const rid = crypto.randomUUID();
  if (chatId !== null) {
    socket.send({ type: "history", rid, chatId, afterSeq: 0, limit: 50 });
    await socket.next("messages", (frame) => frame.rid === rid);
  } else {
    const chat = MISSING_CHAT;
    socket.send({ type: "receipt", chatId: chat, kind: "read", seq: 1 });
    await socket.next("error", (frame) => frame.chatId === chat);
  }
}

/** Calls the Worker with production settings, as a deploy runs it. */
async function productionFetch(
  method: string,
  path: string,
  options: { cookie?: string; body?: unknown; vapid?: boolean } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers.Cookie = options.cookie;
  const request = new Request(`http://localhost${path}`, {
    method,
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
  });
  const production = { ...env, ENVIRONMENT: "production" };
  if (options.vapid === false) {
    delete production.VAPID_PUBLIC_KEY;
    delete production.VAPID_PRIVATE_KEY;
    delete production.VAPID_SUBJECT;
  }
  return worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    production,
    createExecutionContext(),
  );
}

describe("message pushes", () => {
  it("reach each subscription of an offline person", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const laptopPush = await subscribe(benLaptop);
    const anaSocket = await open(ana);

    const sent = await sendWithPreview(anaSocket, chatId, "hi");

    for (const subscription of [phonePush, laptopPush]) {
      const pushes = await waitForPushes(subscription, 1);
      expect(pushes).toHaveLength(1);
      const [push] = pushes;
      if (push === undefined) throw new Error("no push");
      const payload = await openPush(subscription, push);
      expect(payload).toEqual({
        v: 1,
        type: "message",
        chatId,
        id: sent.id,
        seq: sent.seq,
        senderId: ana.id,
        ts: sent.ts,
        unread: 1,
        preview: PREVIEW,
      });
      expect(push.headers.ttl).toBe("86400");
      expect(push.headers.urgency).toBe("high");
      expect(push.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
      expect(push.headers["content-encoding"]).toBe("aes128gcm");
    }
  });

  it("carry the preview of an HTTP send", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const id = newMessageId();
    const response = await api("POST", `/api/chats/${chatId}/messages`, {
      cookie: ana.cookie,
      body: { id, kind: "message", body: "over http", preview: PREVIEW },
    });
    expect(response.status).toBe(200);

    const pushes = await waitForPushes(benPush, 1);
    const payload = asMessage(await openPush(benPush, pushes[0] as DevPush));
    expect(payload.id).toBe(id);
    expect(payload.preview).toBe(PREVIEW);
  });

  it("carry the unread count of the chat", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId, "one");
    await waitForPushes(benPush, 1);
    await sendText(anaSocket, chatId, "two");
    const pushes = await waitForPushes(benPush, 2);
    const second = pushes[1];
    if (second === undefined) throw new Error("no second push");
    const payload = await openPush(benPush, second);
    expect(asMessage(payload).unread).toBe(2);
    expect(asMessage(payload).preview).toBeUndefined();
  });

  it("reach a device subscribed after a delivery", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const laptopSocket = await open(benLaptop);
    const anaSocket = await open(ana);
    // Ben's hub reads his subscriptions, none yet, for this delivery,
    // which his laptop's frame shows is done.
    const first = await sendText(anaSocket, chatId, "before subscribing");
    await laptopSocket.next(
      "message",
      (frame) => frame.message.seq === first.seq,
    );
    const benPush = await subscribe(ben);
    const later = await sendText(anaSocket, chatId, "after subscribing");

    const pushes = await waitForPushes(benPush, 1);
    expect(pushes).toHaveLength(1);
    const payload = await openPush(benPush, pushes[0] as DevPush);
    expect(asMessage(payload).seq).toBe(later.seq);
  });

  it("skip a muted chat", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const anaSocket = await open(ana);
    const mute = await api("PATCH", `/api/inbox/${chatId}`, {
      cookie: ben.cookie,
      body: { mutedUntil: Date.now() + 8 * 3_600_000 },
    });
    expect(mute.status).toBe(200);
    await sendText(anaSocket, chatId, "muted");
    await api("PATCH", `/api/inbox/${chatId}`, {
      cookie: ben.cookie,
      body: { mutedUntil: 0 },
    });
    const later = await sendText(anaSocket, chatId, "unmuted");

    // The push of the later message proves the muted one would have come.
    const pushes = await waitForPushes(benPush, 1);
    expect(pushes).toHaveLength(1);
    const payload = await openPush(benPush, pushes[0] as DevPush);
    expect(asMessage(payload).seq).toBe(later.seq);
  });

  it("skip one's own messages from another device", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const laptopSocket = await open(benLaptop);
    const anaSocket = await open(ana);
    await sendText(laptopSocket, chatId, "from my laptop");
    const fromAna = await sendText(anaSocket, chatId, "from ana");

    const pushes = await waitForPushes(phonePush, 1);
    expect(pushes).toHaveLength(1);
    const payload = await openPush(phonePush, pushes[0] as DevPush);
    expect(asMessage(payload).seq).toBe(fromAna.seq);
  });

  it("skip a chat a live device views", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const laptopSocket = await open(benLaptop);
    const anaSocket = await open(ana);
    await setView(laptopSocket, chatId);
    await sendText(anaSocket, chatId, "seen live");
    await setView(laptopSocket, null);
    const later = await sendText(anaSocket, chatId, "closed");

    const pushes = await waitForPushes(phonePush, 1);
    expect(pushes).toHaveLength(1);
    const payload = await openPush(phonePush, pushes[0] as DevPush);
    expect(asMessage(payload).seq).toBe(later.seq);
  });
});

describe("encrypted previews", () => {
  it("stay out of frames and the log", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const anaPhone = await signUp(ana.phone);
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const anaPhoneSocket = await open(anaPhone);
    const benSocket = await open(ben);

    const sent = await sendWithPreview(anaSocket, chatId, "secret");

    const toBen = await benSocket.next(
      "message",
      (f) => f.message.id === sent.id,
    );
    expect(toBen.message).not.toHaveProperty("preview");
    const toAnaPhone = await anaPhoneSocket.next(
      "message",
      (f) => f.message.id === sent.id,
    );
    expect(toAnaPhone.message).not.toHaveProperty("preview");
    benSocket.send({
      type: "history",
      rid: "h1",
      chatId,
      afterSeq: 0,
      limit: 50,
    });
    const page = await benSocket.next("messages", (f) => f.rid === "h1");
    const stored = page.messages.find((m) => m.id === sent.id);
    expect(stored?.body).toBe("secret");
    expect(stored).not.toHaveProperty("preview");
  });
});

/** Returns every row of every table of a Durable Object, as JSON text. */
async function dumpStorage(stub: DurableObjectStub): Promise<string> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'`,
      )
      .toArray();
    const rows = tables.map(({ name }) => ({
      name,
      rows: sql.exec(`SELECT * FROM "${name}"`).toArray(),
    }));
    return JSON.stringify(rows);
  });
}

describe("preview privacy", () => {
  it("keeps previews out of storage and logs", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const logged = vi.spyOn(console, "log");
    try {
      const anaSocket = await open(ana);
      const sent = await sendWithPreview(anaSocket, chatId, "private words");
      const [push] = await waitForPushes(benPush, 1);
      if (push === undefined) throw new Error("no push");
      expect(asMessage(await openPush(benPush, push)).id).toBe(sent.id);

      const lines = logged.mock.calls.map((call) => call.join(" ")).join("\n");
      expect(lines).toContain("push.sent");
      expect(lines).not.toContain(PREVIEW);
      expect(lines).not.toContain(push.body);
      expect(lines).not.toContain("private words");
    } finally {
      logged.mockRestore();
    }

    const stubs = {
      room: env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId)),
      anaHub: env.USER_HUB.get(env.USER_HUB.idFromName(ana.id)),
      benHub: env.USER_HUB.get(env.USER_HUB.idFromName(ben.id)),
    };
    // The room stores the message itself, which shows the scan reads it.
    expect(await dumpStorage(stubs.room)).toContain("private words");
    for (const [name, stub] of Object.entries(stubs)) {
      const stored = await dumpStorage(stub);
      expect(stored, name).not.toContain(PREVIEW);
      expect(stored, name).not.toContain(PREVIEW.split(".")[2]);
    }
  });
});

describe("group pushes", () => {
  it("stop for a removed member", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    const benPush = await subscribe(ben);
    const cleoPush = await subscribe(cleo);
    const anaSocket = await open(ana);
    await sendWithPreview(anaSocket, chatId, "before");
    await waitForPushes(benPush, 1);
    await waitForPushes(cleoPush, 1);

    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      { cookie: ana.cookie },
    );
    expect(removed.status).toBe(200);
    const after = await sendWithPreview(anaSocket, chatId, "after");

    // Cleo's push of the later message proves Ben's would have come.
    const cleoPushes = await waitForPushes(cleoPush, 2);
    const latest = await openPush(cleoPush, cleoPushes[1] as DevPush);
    expect(asMessage(latest).seq).toBe(after.seq);
    expect(await pushesTo(benPush)).toHaveLength(1);
  });

  it("skip a muted group until it expires", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const benPush = await subscribe(ben);
    const anaSocket = await open(ana);
    const mute = (mutedUntil: number) =>
      api("PATCH", `/api/inbox/${chatId}`, {
        cookie: ben.cookie,
        body: { mutedUntil },
      });
    expect((await mute(Date.now() + 8 * 3_600_000)).status).toBe(200);
    await sendText(anaSocket, chatId, "muted");
    // A mute whose time has passed pushes again, as after 8 hours.
    expect((await mute(Date.now() - 1000)).status).toBe(200);
    const later = await sendText(anaSocket, chatId, "expired");

    const pushes = await waitForPushes(benPush, 1);
    expect(pushes).toHaveLength(1);
    const payload = asMessage(await openPush(benPush, pushes[0] as DevPush));
    expect(payload.seq).toBe(later.seq);
    expect(payload.unread).toBe(2);
  });
});

describe("forged previews", () => {
  it("are rejected on a send naming the field", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const cases = [
      { preview: `pv1.1.${"A".repeat(1100)}`, status: 413, code: "too_large" },
      {
        preview: "<script>alert(1)</script>",
        status: 400,
        code: "invalid_request",
      },
      { preview: "pv1.x.abc", status: 400, code: "invalid_request" },
      { preview: "pv2.1.abc", status: 400, code: "invalid_request" },
    ];
    for (const { preview, status, code } of cases) {
      const response = await api("POST", `/api/chats/${chatId}/messages`, {
        cookie: ana.cookie,
        body: { id: newMessageId(), kind: "message", body: "hi", preview },
      });
      const label = preview.slice(0, 20);
      expect(response.status, label).toBe(status);
      const error = await errorOf(response);
      expect(error.code, label).toBe(code);
      expect(error.field, label).toBe("preview");
    }
  });
});

describe("read pushes", () => {
  it("follow a read receipt frame on another device", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const anaSocket = await open(ana);
    const sent = await sendText(anaSocket, chatId, "read me");
    await waitForPushes(phonePush, 1);

    const laptopSocket = await open(benLaptop);
    laptopSocket.send({ type: "receipt", chatId, kind: "read", seq: sent.seq });

    const pushes = await waitForPushes(phonePush, 2);
    const payload = await openPush(phonePush, pushes[1] as DevPush);
    expect(payload).toEqual({ v: 1, type: "read", chatId, readSeq: sent.seq });
    expect(pushes[1]?.headers.topic).toBe(pushes[0]?.headers.topic);
  });

  it("follow POST /api/chats/:chatId/read", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const anaSocket = await open(ana);
    const sent = await sendText(anaSocket, chatId, "read me");
    await waitForPushes(phonePush, 1);

    const response = await api("POST", `/api/chats/${chatId}/read`, {
      cookie: benLaptop.cookie,
      body: { seq: sent.seq },
    });
    expect(response.status).toBe(204);

    const receipt = await anaSocket.next("receipt", (f) => f.userId === ben.id);
    expect(receipt.readSeq).toBe(sent.seq);
    const pushes = await waitForPushes(phonePush, 2);
    const payload = await openPush(phonePush, pushes[1] as DevPush);
    expect(payload).toEqual({ v: 1, type: "read", chatId, readSeq: sent.seq });
  });

  it("short of the newest push take no topic", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const anaSocket = await open(ana);
    const first = await sendText(anaSocket, chatId, "first");
    await waitForPushes(phonePush, 1);
    const second = await sendText(anaSocket, chatId, "second");
    await waitForPushes(phonePush, 2);

    // The laptop read only the first message, as when the second arrives
    // while its receipt is on the way.
    const laptopSocket = await open(benLaptop);
    laptopSocket.send({
      type: "receipt",
      chatId,
      kind: "read",
      seq: first.seq,
    });

    const pushes = await waitForPushes(phonePush, 3);
    const [, secondPush, readPush] = pushes;
    if (secondPush === undefined || readPush === undefined) {
      throw new Error("missing pushes");
    }
    expect(asMessage(await openPush(phonePush, secondPush)).seq).toBe(
      second.seq,
    );
    const payload = await openPush(phonePush, readPush);
    expect(payload).toEqual({ v: 1, type: "read", chatId, readSeq: first.seq });
    // With the chat's topic, a push service would drop the second
    // message's push if it were still undelivered.
    expect(secondPush.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(readPush.headers.topic).toBeUndefined();
  });
});

describe("deleted pushes", () => {
  it("follow a delete of the pushed message", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const anaSocket = await open(ana);
    const sent = await sendText(anaSocket, chatId, "oops, wrong chat");
    const [messagePush] = await waitForPushes(phonePush, 1);

    anaSocket.send({ type: "delete", chatId, messageId: sent.id });

    const pushes = await waitForPushes(phonePush, 2);
    const payload = await openPush(phonePush, pushes[1] as DevPush);
    expect(payload).toEqual({
      v: 1,
      type: "deleted",
      chatId,
      id: sent.id,
      seq: sent.seq,
    });
    expect(pushes[1]?.headers.topic).toBe(messagePush?.headers.topic);
  });

  it("skip a delete of an older message", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const anaSocket = await open(ana);
    const first = await sendText(anaSocket, chatId, "first");
    await waitForPushes(phonePush, 1);
    await sendText(anaSocket, chatId, "second");
    await waitForPushes(phonePush, 2);

    anaSocket.send({ type: "delete", rid: "d", chatId, messageId: first.id });
    await anaSocket.next("deleted", (f) => f.id === first.id);

    // A third message's push proves no push came in between.
    await sendText(anaSocket, chatId, "third");
    const pushes = await waitForPushes(phonePush, 3);
    const payload = await openPush(phonePush, pushes[2] as DevPush);
    expect(asMessage(payload).seq).toBe(first.seq + 2);
  });
});

describe("POST /api/chats/:chatId/read", () => {
  it("clears the unread count like a receipt", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const sent = await sendText(anaSocket, chatId, "hello");
    await benSocket.next("message", (f) => f.message.id === sent.id);

    const response = await api("POST", `/api/chats/${chatId}/read`, {
      cookie: ben.cookie,
      body: { seq: sent.seq },
    });
    expect(response.status).toBe(204);
    const row = await benSocket.next(
      "chat",
      (f) => f.chat.id === chatId && f.chat.unread === 0,
    );
    expect(row.chat.readSeq).toBe(sent.seq);
  });

  it("rejects a non-member like a missing chat", async () => {
    const [ana, ben, eve] = [await signUp(), await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const notMember = await api("POST", `/api/chats/${chatId}/read`, {
      cookie: eve.cookie,
      body: { seq: 1 },
    });
    const missing = await api("POST", `/api/chats/${MISSING_CHAT}/read`, {
      cookie: eve.cookie,
      body: { seq: 1 },
    });
    expect(notMember.status).toBe(403);
    expect(missing.status).toBe(notMember.status);
    expect(await errorOf(missing)).toEqual(await errorOf(notMember));
  });

  it("rejects another site's origin", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const response = await api("POST", `/api/chats/${chatId}/read`, {
      cookie: ben.cookie,
      body: { seq: 1 },
      headers: { Origin: "https://evil.example" },
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
  });

  it("names an invalid seq", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const response = await api("POST", `/api/chats/${chatId}/read`, {
      cookie: ben.cookie,
      body: { seq: -1 },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("seq");
  });
});

describe("push subscriptions", () => {
  it("are deleted on 410 from the push service", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const statusSet = await api("POST", "/api/dev/push/status", {
      body: { endpoint: benPush.json.endpoint, status: 410 },
    });
    expect(statusSet.status).toBe(200);
    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId, "anyone there?");

    const deadline = Date.now() + 5000;
    let subscribed = true;
    while (subscribed && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const status = await api("GET", "/api/push/subscription", {
        cookie: ben.cookie,
      });
      subscribed = (await json<{ subscribed: boolean }>(status)).subscribed;
    }
    expect(subscribed).toBe(false);
    expect(await pushesTo(benPush)).toEqual([]);
  });

  it("get failed pushes retried", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const setStatus = (status: number) =>
      api("POST", "/api/dev/push/status", {
        body: { endpoint: benPush.json.endpoint, status },
      });
    expect((await setStatus(503)).status).toBe(200);
    const anaSocket = await open(ana);
    const sent = await sendText(anaSocket, chatId, "try again");
    // The first attempt meets the 503; the retry after PUSH_RETRY_MS
    // finds the service back.
    await new Promise((resolve) => setTimeout(resolve, PUSH_RETRY_MS / 2));
    expect(await pushesTo(benPush)).toEqual([]);
    expect((await setStatus(201)).status).toBe(200);

    const pushes = await waitForPushes(benPush, 1);
    expect(pushes).toHaveLength(1);
    const payload = await openPush(benPush, pushes[0] as DevPush);
    expect(asMessage(payload).seq).toBe(sent.seq);
  });

  it("drop a retry after unsubscribing", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const setStatus = (status: number) =>
      api("POST", "/api/dev/push/status", {
        body: { endpoint: benPush.json.endpoint, status },
      });
    expect((await setStatus(503)).status).toBe(200);
    const logged = vi.spyOn(console, "log");
    /** Waits for the first of `events` logged for Ben's device. */
    const waitForEvent = async (events: string[]) => {
      const deadline = Date.now() + 5000;
      for (;;) {
        for (const call of logged.mock.calls) {
          const line = String(call[0]);
          if (!line.includes(ben.deviceId)) continue;
          const event = events.find((name) => line.includes(`"${name}"`));
          if (event !== undefined) return event;
        }
        if (Date.now() > deadline) return null;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    try {
      const anaSocket = await open(ana);
      await sendText(anaSocket, chatId, "in flight");
      expect(await waitForEvent(["push.retry"])).toBe("push.retry");
      // Ben turns notifications off and the service recovers before the
      // retry after PUSH_RETRY_MS.
      const deleted = await api("DELETE", "/api/push/subscription", {
        cookie: ben.cookie,
      });
      expect(deleted.status).toBe(200);
      expect((await setStatus(201)).status).toBe(200);

      const outcome = await waitForEvent(["push.sent", "push.dropped"]);
      expect(outcome).toBe("push.dropped");
    } finally {
      logged.mockRestore();
    }
    expect(await pushesTo(benPush)).toEqual([]);
  });

  it("report, store and delete a device's subscription", async () => {
    const ben = await signUp();
    const status = () =>
      api("GET", "/api/push/subscription", { cookie: ben.cookie }).then((r) =>
        json<{ subscribed: boolean }>(r),
      );
    expect(await status()).toEqual({ subscribed: false });
    await subscribe(ben);
    expect(await status()).toEqual({ subscribed: true });
    const deleted = await api("DELETE", "/api/push/subscription", {
      cookie: ben.cookie,
    });
    expect(await json(deleted)).toEqual({ subscribed: false });
    expect(await status()).toEqual({ subscribed: false });
  });

  it("are gone with a revoked device", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benLaptop = await signUp(ben.phone);
    const chatId = await openDirect(ana, ben);
    const phonePush = await subscribe(ben);
    const laptopPush = await subscribe(benLaptop);
    const revoked = await api("DELETE", `/api/devices/${benLaptop.deviceId}`, {
      cookie: ben.cookie,
    });
    expect(revoked.status).toBe(204);
    const anaSocket = await open(ana);
    await sendText(anaSocket, chatId, "hello");

    // The phone's push proves the laptop's would have come by now.
    await waitForPushes(phonePush, 1);
    expect(await pushesTo(laptopPush)).toEqual([]);
  });

  it("reject bodies naming the invalid field", async () => {
    const ben = await signUp();
    const valid = (await createTestSubscription("https://push.example/1")).json;
    const cases: { body: unknown; field: string }[] = [
      { body: { keys: valid.keys }, field: "endpoint" },
      {
        body: { ...valid, endpoint: "http://push.example/1" },
        field: "endpoint",
      },
      { body: { ...valid, endpoint: "not a url" }, field: "endpoint" },
      {
        body: { ...valid, endpoint: "https://127.0.0.1/1" },
        field: "endpoint",
      },
      { body: { ...valid, endpoint: "https://[::1]/1" }, field: "endpoint" },
      {
        body: { ...valid, endpoint: "https://localhost/1" },
        field: "endpoint",
      },
      {
        body: { ...valid, endpoint: "https://push.localhost/1" },
        field: "endpoint",
      },
      { body: { ...valid, endpoint: "https://metadata/1" }, field: "endpoint" },
      { body: { endpoint: valid.endpoint }, field: "keys" },
      {
        body: { ...valid, keys: { ...valid.keys, p256dh: "abc" } },
        field: "keys.p256dh",
      },
      {
        body: { ...valid, keys: { p256dh: valid.keys.p256dh } },
        field: "keys.auth",
      },
      {
        // 65 bytes, 0x04 and zeros: the right length, but not on P-256.
        body: {
          ...valid,
          keys: { ...valid.keys, p256dh: `B${"A".repeat(86)}` },
        },
        field: "keys.p256dh",
      },
    ];
    for (const { body, field } of cases) {
      const response = await api("PUT", "/api/push/subscription", {
        cookie: ben.cookie,
        body,
      });
      expect(response.status, field).toBe(400);
      const error: ErrorBody = await errorOf(response);
      expect(error.code, field).toBe("invalid_request");
      expect(error.field).toBe(field);
      expect(error.message).toContain(field);
    }
  });

  it("reject an endpoint over its limit", async () => {
    const ben = await signUp();
    const valid = (await createTestSubscription("https://push.example/1")).json;
    const response = await api("PUT", "/api/push/subscription", {
      cookie: ben.cookie,
      body: { ...valid, endpoint: `https://push.example/${"a".repeat(2048)}` },
    });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe("too_large");
    expect(error.field).toBe("endpoint");
  });

  it("reject JSON garbage and revoked sessions", async () => {
    const ben = await signUp();
    const benLaptop = await signUp(ben.phone);
    const garbage = await api("PUT", "/api/push/subscription", {
      cookie: ben.cookie,
      body: "{endpoint: https",
    });
    expect(garbage.status).toBe(400);
    expect((await errorOf(garbage)).code).toBe("invalid_request");

    const revoked = await api("DELETE", `/api/devices/${benLaptop.deviceId}`, {
      cookie: ben.cookie,
    });
    expect(revoked.status).toBe(204);
    const subscription = await createTestSubscription(
      `https://push.invalid/${crypto.randomUUID()}`,
    );
    const late = await api("PUT", "/api/push/subscription", {
      cookie: benLaptop.cookie,
      body: subscription.json,
    });
    expect(late.status).toBe(401);
  });

  it("ignore extra fields of a subscription", async () => {
    const ben = await signUp();
    const subscription = await createTestSubscription(
      `https://push.invalid/${crypto.randomUUID()}`,
    );
    const response = await api("PUT", "/api/push/subscription", {
      cookie: ben.cookie,
      body: { ...subscription.json, deviceId: "someone-else", extra: 1 },
    });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ subscribed: true });
  });

  it("on push.invalid are rejected in production", async () => {
    const ben = await signUp();
    const subscription = await createTestSubscription(
      "https://push.invalid/prod",
    );
    const response = await productionFetch("PUT", "/api/push/subscription", {
      cookie: ben.cookie,
      body: subscription.json,
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("endpoint");
  });
});

describe("GET /api/push/key", () => {
  it("returns the server's public key", async () => {
    const ben = await signUp();
    const response = await api("GET", "/api/push/key", { cookie: ben.cookie });
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ publicKey: env.VAPID_PUBLIC_KEY });
  });

  it("answers 503 without VAPID keys", async () => {
    const ben = await signUp();
    const response = await productionFetch("GET", "/api/push/key", {
      cookie: ben.cookie,
      vapid: false,
    });
    expect(response.status).toBe(503);
    const error = await errorOf(response);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("npm run vapid");
  });
});

describe("development push service", () => {
  it("is absent in production", async () => {
    const list = await productionFetch(
      "GET",
      "/api/dev/push?endpoint=https%3A%2F%2Fpush.invalid%2Fx",
    );
    expect(list.status).toBe(404);
    const status = await productionFetch("POST", "/api/dev/push/status", {
      body: { endpoint: "https://push.invalid/x", status: 410 },
    });
    expect(status.status).toBe(404);
  });
});

describe("push retry delay", () => {
  it("doubles without Retry-After", () => {
    expect(retryDelayMs(1, null)).toBe(PUSH_RETRY_MS);
    expect(retryDelayMs(2, null)).toBe(2 * PUSH_RETRY_MS);
  });

  it("follows Retry-After up to its cap", () => {
    expect(retryDelayMs(1, "5")).toBe(5000);
    expect(retryDelayMs(1, "3600")).toBe(MAX_PUSH_RETRY_AFTER_S * 1000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryDelayMs(1, "Thu, 01 Jan 2026 00:00:10 GMT", now)).toBe(10_000);
    expect(retryDelayMs(1, "soon")).toBe(PUSH_RETRY_MS);
  });
});
