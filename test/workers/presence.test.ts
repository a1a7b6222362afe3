import {
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PING_FRAME, PONG_FRAME } from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import { SOCKET_IDLE_LIMIT_MS } from "../../durable-objects/user-hub/sockets.ts";
import {
  api,
  connect,
  errorOf,
  newMessageId,
  openDirect,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

/** Waits `ms` and returns the queued frames of `type` without removing them. */
async function framesAfter(socket: TestSocket, type: string, ms = 300) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return socket.frames.filter((frame) => frame.type === type);
}

/** Makes `viewer` open the direct chat with `peer`; returns the chat id. */
async function viewPeer(viewer: TestUser, socket: TestSocket, peer: TestUser) {
  const chatId = await openDirect(viewer, peer);
  socket.send({ type: "view", chatId, listed: [] });
  return chatId;
}

function presenceOf(socket: TestSocket, userId: string) {
  return socket.next("presence", (frame) => frame.userId === userId);
}

async function setLastSeen(user: TestUser, lastSeen: string) {
  const response = await api("PATCH", "/api/me/settings", {
    cookie: user.cookie,
    body: { lastSeen },
  });
  expect(response.status).toBe(200);
}

async function addContact(owner: TestUser, contact: TestUser) {
  const response = await api("POST", "/api/contacts", {
    cookie: owner.cookie,
    body: { phone: contact.phone, name: "Friend" },
  });
  expect(response.status).toBe(200);
}

describe("presence transitions", () => {
  it("keeps online until the last device closes", async () => {
    const ana = await signUp();
    const anaPhone = await signUp(ana.phone, "Phone");
    const ben = await signUp();
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    const first = await presenceOf(benSocket, ana.id);
    expect(first.online).toBe(false);
    expect(first.lastSeen).toBeNull();

    const laptop = await connect(ana);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);
    const phone = await connect(anaPhone);
    laptop.close();
    expect(await framesAfter(benSocket, "presence")).toEqual([]);
    const stillOnline = await runInDurableObject(
      hubStub(ana.id),
      (hub: UserHub) => hub.ownPresence(),
    );
    expect(stillOnline.online).toBe(true);

    const before = Date.now();
    phone.close();
    const offline = await presenceOf(benSocket, ana.id);
    expect(offline.online).toBe(false);
    expect(offline.lastSeen).toBeGreaterThanOrEqual(before);
    expect(offline.lastSeen).toBeLessThanOrEqual(Date.now());
    benSocket.close();
  });

  it("marks a silent socket gone at the sweep", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    await presenceOf(benSocket, ana.id);
    const anaSocket = await connect(ana);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);

    const stub = hubStub(ana.id);
    await runInDurableObject(stub, (_hub, state) => {
      const past = Date.now() - SOCKET_IDLE_LIMIT_MS - 1000;
      for (const ws of state.getWebSockets()) {
        ws.serializeAttachment({
          deviceId: ana.deviceId,
          connectedAt: past,
          lastFrameAt: past,
        });
      }
    });
    const before = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await anaSocket.closed()).toBe(4000);
    const offline = await presenceOf(benSocket, ana.id);
    expect(offline.online).toBe(false);
    expect(offline.lastSeen).toBeGreaterThanOrEqual(before);
    // No socket is left, so no alarm is left either.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    benSocket.close();
  });

  it("answers pings without waking the hub", async () => {
    const ana = await signUp();
    const socket = await connect(ana);
    const stub = hubStub(ana.id);
    const readState = () =>
      runInDurableObject(stub, (_hub, state) => {
        const ws = state.getWebSockets()[0];
        if (ws === undefined) throw new Error("no socket");
        const attachment = ws.deserializeAttachment() as {
          lastFrameAt: number;
        };
        return {
          lastFrameAt: attachment.lastFrameAt,
          autoResponseAt: state.getWebSocketAutoResponseTimestamp(ws),
        };
      });
    const before = await readState();
    expect(before.autoResponseAt).toBeNull();
    const pong = new Promise<string>((resolve) => {
      socket.ws.addEventListener("message", (event) =>
        resolve(String(event.data)),
      );
    });
    socket.send(PING_FRAME);
    expect(await pong).toBe(PONG_FRAME);
    const after = await readState();
    // webSocketMessage stamps lastFrameAt on every frame it handles, so an
    // unchanged stamp means the ping never reached the object's handlers.
    expect(after.lastFrameAt).toBe(before.lastFrameAt);
    expect(after.autoResponseAt).not.toBeNull();
    socket.close();
  });
});

describe("presence watchers", () => {
  it("stop hearing after the view closes", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const benSocket = await connect(ben);
    const chatId = await viewPeer(ben, benSocket, ana);
    await presenceOf(benSocket, ana.id);
    benSocket.send({ type: "view", chatId: null, listed: [] });
    await framesAfter(benSocket, "presence", 200);
    const watchers = await runInDurableObject(hubStub(ana.id), (_h, state) =>
      state.storage.sql.exec("SELECT user_id FROM watcher").toArray(),
    );
    expect(watchers).toEqual([]);
    const anaSocket = await connect(ana);
    expect(await framesAfter(benSocket, "presence")).toEqual([]);
    // Listing the chat subscribes again and sends the current presence.
    benSocket.send({ type: "view", chatId: null, listed: [chatId] });
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);
    anaSocket.close();
    benSocket.close();
  });

  it("stop hearing once the watch expires", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    await presenceOf(benSocket, ana.id);
    await runInDurableObject(hubStub(ana.id), (_h, state) => {
      state.storage.sql.exec("UPDATE watcher SET expires_at = 1");
    });
    const anaSocket = await connect(ana);
    expect(await framesAfter(benSocket, "presence")).toEqual([]);
    anaSocket.close();
    benSocket.close();
  });
});

describe("presence privacy", () => {
  it("hides everything when the owner says nobody", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const anaSocket = await connect(ana);
    await setLastSeen(ana, "nobody");
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    const seen = await presenceOf(benSocket, ana.id);
    expect(seen.online).toBe(false);
    expect(seen.lastSeen).toBeNull();
    // Back to everyone: the watcher hears at once.
    await setLastSeen(ana, "everyone");
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);
    anaSocket.close();
    benSocket.close();
  });

  it("hides others from a viewer who says nobody", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const anaSocket = await connect(ana);
    await setLastSeen(ben, "nobody");
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    const seen = await presenceOf(benSocket, ana.id);
    expect(seen.online).toBe(false);
    expect(seen.lastSeen).toBeNull();
    anaSocket.close();
    benSocket.close();
  });

  it("shows contacts only to contacts, both ways", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const anaSocket = await connect(ana);
    await setLastSeen(ana, "contacts");
    const benSocket = await connect(ben);
    await viewPeer(ben, benSocket, ana);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(false);
    await addContact(ana, ben);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);

    // Ben on "contacts" without Ana in his contacts sees nothing of her.
    await setLastSeen(ben, "contacts");
    expect((await presenceOf(benSocket, ana.id)).online).toBe(false);
    await addContact(ben, ana);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);
    anaSocket.close();
    benSocket.close();
  });
});

describe("blocking", () => {
  it("hides presence and rejects direct messages", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    const chatId = await viewPeer(ben, benSocket, ana);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);

    const blocked = await api("PUT", `/api/blocks/${ben.id}`, {
      cookie: ana.cookie,
    });
    expect(blocked.status).toBe(204);
    const hidden = await presenceOf(benSocket, ana.id);
    expect(hidden.online).toBe(false);
    expect(hidden.lastSeen).toBeNull();

    const id = newMessageId();
    benSocket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: "hi" },
    });
    const error = await benSocket.next("error", (frame) => frame.id === id);
    expect(error.error.code).toBe("forbidden");
    expect(error.error.message).toBe("You can't message this person.");

    const list = await api("GET", "/api/blocks", { cookie: ana.cookie });
    const body = await list.json<{ blocked: { userId: string }[] }>();
    expect(body.blocked.map((entry) => entry.userId)).toEqual([ben.id]);

    const unblocked = await api("DELETE", `/api/blocks/${ben.id}`, {
      cookie: ana.cookie,
    });
    expect(unblocked.status).toBe(204);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);
    anaSocket.close();
    benSocket.close();
  });
});

describe("blocks routes", () => {
  it("rejects an unknown account and oneself", async () => {
    const ana = await signUp();
    const unknown = await api("PUT", `/api/blocks/${newMessageId()}`, {
      cookie: ana.cookie,
    });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).field).toBe("userId");
    const self = await api("PUT", `/api/blocks/${ana.id}`, {
      cookie: ana.cookie,
    });
    expect(self.status).toBe(400);
    expect((await errorOf(self)).message).toBe("You can't block yourself.");
  });
});
