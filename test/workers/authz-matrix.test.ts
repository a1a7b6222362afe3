import { SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLOSE_SESSION_REVOKED,
  ClientFrame,
  type ClientFrameType,
  type ErrorBody,
  type ServerFrame,
} from "../../protocol/index.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  newMessageId,
  openDirect,
  ORIGIN,
  sendText,
  signUp,
  upgrade,
  type DetailReplyBody,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";
import { startCall } from "./call-helpers.ts";
import { joinCall } from "./group-call-helpers.ts";

/**
 * Every HTTP route of worker/routes/, with a body that passes validation,
 * so a refusal comes from the authorization check. `:chat` is a chat id,
 * `:user` another person, `:device` a device of the caller, `:call` and
 * `:media` ids that no one used.
 */
interface Route {
  method: string;
  path: string;
  body?: unknown;
  /** Reachable without a session. */
  public?: true;
}

const SDP = { type: "offer", sdp: "v=0" };

const ROUTES: Route[] = [
  {
    method: "POST",
    path: "/api/auth/code",
    body: { phone: "+4915100000000" },
    public: true,
  },
  {
    method: "POST",
    path: "/api/auth/verify",
    body: { phone: "+4915100000000", code: "000000", deviceName: "Phone" },
    public: true,
  },
  { method: "POST", path: "/api/auth/logout" },
  { method: "GET", path: "/api/me" },
  { method: "PATCH", path: "/api/me", body: { about: "hi" } },
  { method: "DELETE", path: "/api/me", body: { phone: "+4915100000000" } },
  { method: "PATCH", path: "/api/me/settings", body: { readReceipts: true } },
  { method: "GET", path: "/api/devices" },
  { method: "DELETE", path: "/api/devices/:device" },
  {
    method: "POST",
    path: "/api/users/lookup",
    body: { phone: "+4915100000001" },
  },
  { method: "POST", path: "/api/users/profiles", body: { userIds: [":user"] } },
  { method: "GET", path: "/api/users/:user" },
  { method: "GET", path: "/api/calls/ice-servers" },
  { method: "POST", path: "/api/calls/:call/decline" },
  { method: "POST", path: "/api/chats/direct", body: { userId: ":user" } },
  {
    method: "POST",
    path: "/api/chats/group",
    body: { name: "G", memberIds: [] },
  },
  { method: "GET", path: "/api/chats/:chat" },
  { method: "PATCH", path: "/api/chats/:chat", body: { name: "Renamed" } },
  {
    method: "POST",
    path: "/api/chats/:chat/members",
    body: { userIds: [":user"] },
  },
  { method: "DELETE", path: "/api/chats/:chat/members/:user" },
  {
    method: "PATCH",
    path: "/api/chats/:chat/members/:user",
    body: { role: "admin" },
  },
  {
    method: "POST",
    path: "/api/chats/:chat/report",
    body: { reason: "spam", messages: [] },
  },
  { method: "PATCH", path: "/api/inbox/:chat", body: { pinned: true } },
  { method: "GET", path: "/api/dev/sms?phone=%2B4915100000000", public: true },
  { method: "GET", path: "/api/dev/push", public: true },
  {
    method: "POST",
    path: "/api/dev/push/status",
    body: { endpoint: "https://push.example/x", status: 410 },
    public: true,
  },
  { method: "GET", path: "/api/dev/counters", public: true },
  {
    method: "PUT",
    path: "/api/devices/:device/history/archive",
    body: "bytes",
  },
  {
    method: "POST",
    path: "/api/devices/:device/history",
    body: {
      keyPackageRef: "AA",
      enc: "AA",
      sealed: "AA",
      sha256: "A".repeat(43),
      archiveBytes: 5,
    },
  },
  { method: "GET", path: "/api/history" },
  { method: "GET", path: "/api/history/archive" },
  { method: "DELETE", path: "/api/history" },
  { method: "GET", path: "/api/keys" },
  { method: "POST", path: "/api/keys", body: { keyPackages: [] } },
  {
    method: "POST",
    path: "/api/keys/own/claim",
    body: { deviceId: ":device" },
  },
  {
    method: "POST",
    path: "/api/chats/:chat/mls/claim",
    body: { devices: [{ userId: ":user", deviceId: ":device" }] },
  },
  { method: "GET", path: "/api/chats/:chat/media/:media" },
  { method: "POST", path: "/api/chats/:chat/media", body: { size: 100 } },
  { method: "GET", path: "/api/chats/:chat/media/:media/upload" },
  {
    method: "PUT",
    path: "/api/chats/:chat/media/:media/parts/1",
    body: "bytes",
  },
  { method: "POST", path: "/api/chats/:chat/media/:media/complete" },
  { method: "DELETE", path: "/api/chats/:chat/media/:media" },
  {
    method: "POST",
    path: "/api/chats/:chat/messages",
    body: { id: ":message", kind: "message", body: "hi" },
  },
  { method: "GET", path: "/api/chats/:chat/mls" },
  {
    method: "POST",
    path: "/api/chats/:chat/mls/commit",
    body: { epoch: 0, commit: "AAAA", added: [], removed: [] },
  },
  {
    method: "POST",
    path: "/api/chats/:chat/mls/request-add",
    body: { reset: false },
  },
  { method: "GET", path: "/api/contacts" },
  {
    method: "POST",
    path: "/api/contacts/import",
    body: { contacts: [{ phone: "+4915100000002", name: "Z" }] },
  },
  {
    method: "POST",
    path: "/api/contacts/discover",
    body: { phones: ["+4915100000003"] },
  },
  {
    method: "POST",
    path: "/api/contacts",
    body: { phone: "+4915100000004", name: "Y" },
  },
  {
    method: "POST",
    path: "/api/contacts/remove",
    body: { phone: "+4915100000004" },
  },
  { method: "GET", path: "/api/blocks" },
  { method: "PUT", path: "/api/blocks/:user" },
  { method: "DELETE", path: "/api/blocks/:user" },
  { method: "PUT", path: "/api/me/photo", body: "bytes" },
  { method: "DELETE", path: "/api/me/photo" },
  { method: "GET", path: "/api/users/:user/photos/:media" },
  { method: "GET", path: "/api/push/key" },
  { method: "GET", path: "/api/push/subscription" },
  {
    method: "PUT",
    path: "/api/push/subscription",
    body: {
      endpoint: "https://push.example/sub",
      keys: { p256dh: "AA", auth: "AA" },
    },
  },
  { method: "DELETE", path: "/api/push/subscription" },
  { method: "POST", path: "/api/chats/:chat/read", body: { seq: 1 } },
  {
    method: "POST",
    path: "/api/chats/:chat/calls/:call/sfu/sessions/new",
    body: { sessionDescription: SDP },
  },
  {
    method: "POST",
    path: "/api/chats/:chat/calls/:call/sfu/sessions/s1/tracks/new",
    body: { tracks: [{ location: "local", mid: "0", trackName: "cam" }] },
  },
  {
    method: "PUT",
    path: "/api/chats/:chat/calls/:call/sfu/sessions/s1/renegotiate",
    body: { sessionDescription: SDP },
  },
  {
    method: "PUT",
    path: "/api/chats/:chat/calls/:call/sfu/sessions/s1/tracks/close",
    body: { tracks: [{ mid: "0" }] },
  },
  { method: "GET", path: "/api/ws" },
];

const CHAT_ROUTES = ROUTES.filter((route) => route.path.includes(":chat"));

/**
 * A removed member keeps the chat in their list, marked as left, so they
 * may still pin or archive that row.
 */
const OWN_ROW_ROUTES = new Set(["PATCH /api/inbox/:chat"]);

let alice: TestUser;
let bob: TestUser;
let carol: TestUser;
let dave: TestUser;
let aliceSocket: TestSocket;
let groupId: string;
let directId: string;
let revokedCookie: string;
/** Seq of the system message that removed Dave from the group. */
let removalSeq: number;

beforeAll(async () => {
  [alice, bob, carol, dave] = await Promise.all([
    signUp(),
    signUp(),
    signUp(),
    signUp(),
  ]);
  groupId = await createGroup(alice, [bob, dave]);
  directId = await openDirect(alice, bob);
  aliceSocket = await connect(alice);
  await sendText(aliceSocket, groupId, "for members");
  await sendText(aliceSocket, directId, "for bob");
  const removed = await api(
    "DELETE",
    `/api/chats/${groupId}/members/${dave.id}`,
    { cookie: alice.cookie },
  );
  expect(removed.ok).toBe(true);
  const detail = await api("GET", `/api/chats/${groupId}`, {
    cookie: alice.cookie,
  });
  removalSeq = (await json<DetailReplyBody>(detail)).chat.lastSeq;
  const second = await signUp(carol.phone, "Second device");
  const loggedOut = await api("POST", "/api/auth/logout", {
    cookie: second.cookie,
  });
  expect(loggedOut.ok).toBe(true);
  revokedCookie = second.cookie;
});

/** Makes a media id: 22 base64url characters, like the server's. */
function newMediaId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .slice(0, 22);
}

/** Returns a chat id of the same kind as `chatId` that no chat uses. */
function unusedChatId(chatId: string): string {
  if (chatId.startsWith("dm_")) return `dm_${"0".repeat(31)}1`;
  return `g_${crypto.randomUUID()}`;
}

function fill(text: string, values: Record<string, string>): string {
  return text.replace(
    /:([a-z]+)/g,
    (match, name: string) => values[name] ?? match,
  );
}

/** Sends `route` as the holder of `cookie`, aimed at `chatId`. */
async function call(
  route: Route,
  cookie: string | undefined,
  chatId: string,
  user: TestUser,
): Promise<{ status: number; text: string }> {
  const values = {
    chat: chatId,
    user: bob.id,
    device: user.deviceId,
    call: newMessageId(),
    media: newMediaId(),
    message: newMessageId(),
  };
  const headers: Record<string, string> = {
    Origin: ORIGIN,
    "Content-Type": "application/json",
  };
  if (cookie !== undefined) headers.Cookie = cookie;
  if (route.path === "/api/ws") headers.Upgrade = "websocket";
  let body: string | undefined;
  if (route.body === "bytes") body = "opaque bytes";
  else if (route.body !== undefined) {
    body = fill(JSON.stringify(route.body), values);
  }
  const response = await SELF.fetch(`${ORIGIN}${fill(route.path, values)}`, {
    method: route.method,
    headers,
    body,
  });
  // The reply may name the ids the caller sent, which tell it nothing new.
  const text = (await response.text())
    .replaceAll(chatId, "<chat>")
    .replaceAll(values.call, "<call>")
    .replaceAll(values.media, "<media>")
    .replaceAll(values.message, "<message>");
  return { status: response.status, text };
}

function errorCode(text: string): ErrorBody["code"] | undefined {
  try {
    return (JSON.parse(text) as { error?: ErrorBody }).error?.code;
  } catch {
    return undefined;
  }
}

const label = (route: Route) => `${route.method} ${route.path}`;

describe("HTTP routes without a valid session", () => {
  const protectedRoutes = ROUTES.filter((route) => route.public !== true);

  it.each(protectedRoutes.map((route) => [label(route), route] as const))(
    "%s rejects a missing session",
    async (_, route) => {
      const reply = await call(route, undefined, groupId, alice);
      expect(reply.status, reply.text).toBe(401);
      expect(errorCode(reply.text)).toBe("unauthenticated");
    },
  );

  it.each(protectedRoutes.map((route) => [label(route), route] as const))(
    "%s rejects a revoked session like none",
    async (_, route) => {
      const none = await call(route, undefined, groupId, alice);
      const revoked = await call(route, revokedCookie, groupId, alice);
      expect(revoked.status, revoked.text).toBe(401);
      expect(revoked.text).toBe(none.text);
    },
  );
});

describe("HTTP chat routes for people outside the chat", () => {
  const identities = [
    { name: "a non-member of a group", user: () => carol, chat: () => groupId },
    {
      name: "a non-member of a direct chat",
      user: () => carol,
      chat: () => directId,
    },
    { name: "a removed member", user: () => dave, chat: () => groupId },
  ];
  const rows = CHAT_ROUTES.flatMap((route) =>
    identities
      .filter(
        (identity) =>
          identity.name !== "a removed member" ||
          !OWN_ROW_ROUTES.has(label(route)),
      )
      .map(
        (identity) => [label(route), identity.name, route, identity] as const,
      ),
  );

  it.each(rows)(
    "%s refuses %s like a missing chat",
    async (_, __, route, identity) => {
      const user = identity.user();
      const chatId = identity.chat();
      const real = await call(route, user.cookie, chatId, user);
      const missing = await call(
        route,
        user.cookie,
        unusedChatId(chatId),
        user,
      );
      // NOTE: the SFU routes check their configuration before membership,
      // and the tests run without an SFU, so every caller gets 503 there.
      const refusals = route.path.includes("/sfu/") ? [503] : [403, 404];
      expect(refusals, real.text).toContain(real.status);
      expect(real.status).toBe(missing.status);
      expect(real.text).toBe(missing.text);
    },
  );
});

describe("HTTP routes between blocked people", () => {
  beforeAll(async () => {
    const blocked = await api("PUT", `/api/blocks/${alice.id}`, {
      cookie: bob.cookie,
    });
    expect(blocked.ok).toBe(true);
  });

  it("POST messages in the direct chat is forbidden", async () => {
    const response = await api("POST", `/api/chats/${directId}/messages`, {
      cookie: alice.cookie,
      body: { id: newMessageId(), kind: "message", body: "hi" },
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("forbidden");
  });

  it("the group chat still takes messages", async () => {
    const response = await api("POST", `/api/chats/${groupId}/messages`, {
      cookie: alice.cookie,
      body: { id: newMessageId(), kind: "message", body: "hi" },
    });
    expect(response.status).toBe(200);
  });
});

// ---- WebSocket frames ------------------------------------------------------

/** A device id that no device has, for frames addressed to a device. */
const SOME_DEVICE_ID = "00000000-0000-4000-8000-000000000001";

/** A valid frame of each type, for `chatId` and `callId`. */
function frameOf(
  type: ClientFrameType,
  chatId: string,
  callId: string,
): Record<string, unknown> {
  const frames: Record<ClientFrameType, Record<string, unknown>> = {
    sync: { type, rid: "q", chats: [{ chatId, afterSeq: 0 }] },
    send: {
      type,
      chatId,
      message: { id: newMessageId(), kind: "message", body: "x" },
    },
    history: { type, rid: "q", chatId, afterSeq: 0, limit: 10 },
    receipt: { type, chatId, kind: "read", seq: 1 },
    delete: { type, rid: "q", chatId, messageId: newMessageId() },
    view: { type, chatId, listed: [chatId] },
    typing: { type, chatId, state: "typing" },
    ack: { type, chars: 1 },
    "call.start": { type, rid: "q", callId, chatId, video: false },
    "call.accept": { type, rid: "q", callId },
    "call.decline": { type, rid: "q", callId },
    "call.hangup": { type, rid: "q", callId },
    "call.signal": {
      type,
      callId,
      signal: { kind: "description", description: SDP },
    },
    "call.media": { type, callId, audio: true, video: true },
    "call.ping": { type, rid: "q", callId },
    "groupcall.join": { type, rid: "q", chatId, callId, video: false },
    "groupcall.leave": { type, callId },
    "groupcall.decline": { type, callId },
    "groupcall.update": {
      type,
      callId,
      sessionId: null,
      tracks: [],
      audio: true,
      video: false,
      screen: false,
    },
    "groupcall.ping": { type, callId },
    "groupcall.key": {
      type,
      callId,
      toDeviceId: SOME_DEVICE_ID,
      kid: 1,
      epoch: 1,
      sealed: "AAAA",
    },
    "groupcall.key.request": { type, callId, toDeviceId: SOME_DEVICE_ID },
  };
  return frames[type];
}

const FRAME_TYPES = ClientFrame.options.map((o) => o.shape.type.value);

/** Frames that read a chat's log. */
const READS = new Set<ClientFrameType>(["history", "sync"]);

/**
 * Frames a socket receives in reply to `frame`, with the ids it sent
 * blanked. It waits for the first reply and 100 ms more, or 800 ms when
 * none comes.
 */
async function repliesTo(
  socket: TestSocket,
  frame: Record<string, unknown>,
): Promise<string[]> {
  socket.frames.length = 0;
  socket.send(frame);
  const deadline = Date.now() + 800;
  while (socket.frames.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const message = frame.message as { id?: string } | undefined;
  const sentIds = [frame.chatId, frame.callId, message?.id];
  return socket.frames
    .filter((reply: ServerFrame) => reply.type !== "presence")
    .map((reply) => {
      let text = JSON.stringify(reply);
      for (const id of sentIds) {
        if (typeof id === "string") text = text.replaceAll(id, "<id>");
      }
      return text;
    });
}

describe("WebSocket upgrade refusals", () => {
  const rows = FRAME_TYPES.map((type) => [type] as const);

  it.each(rows)("%s needs a session", async () => {
    const response = await upgrade(undefined);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it.each(rows)("%s needs a session that is not revoked", async () => {
    const response = await upgrade(revokedCookie);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it.each(rows)("%s needs the app's origin", async () => {
    const response = await upgrade(carol.cookie, "https://evil.example");
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
  });

  it("revoking a device closes its socket with 4001", async () => {
    const other = await signUp(carol.phone, "Third device");
    const socket = await connect(other);
    const revoked = await api("DELETE", `/api/devices/${other.deviceId}`, {
      cookie: carol.cookie,
    });
    expect(revoked.ok).toBe(true);
    expect(await socket.closed()).toBe(CLOSE_SESSION_REVOKED);
  });
});

describe("WebSocket frames for people outside the chat", () => {
  let directCallId: string;
  let groupCallId: string;
  let carolSocket: TestSocket;
  let daveSocket: TestSocket;

  beforeAll(async () => {
    const bobSocket = await connect(bob);
    await api("DELETE", `/api/blocks/${alice.id}`, { cookie: bob.cookie });
    directCallId = await startCall(aliceSocket, directId);
    groupCallId = (await joinCall(bobSocket, bob.deviceId, groupId)).callId;
    carolSocket = await connect(carol);
    daveSocket = await connect(dave);
  });

  afterAll(async () => {
    aliceSocket.send({ type: "call.hangup", callId: directCallId });
    await aliceSocket.next("call.ended", (f) => f.callId === directCallId);
  });

  const identities = [
    { name: "a non-member", socket: () => carolSocket },
    { name: "a removed member", socket: () => daveSocket },
  ];
  const rows = FRAME_TYPES.flatMap((type) =>
    identities.map((identity) => [type, identity.name, identity] as const),
  );

  it.each(rows)(
    "%s from %s reads like a missing chat",
    async (type, _, identity) => {
      const socket = identity.socket();
      const groupCall = type.startsWith("groupcall.");
      const chatId = type.startsWith("call.") ? directId : groupId;
      const callId = groupCall ? groupCallId : directCallId;
      const real = await repliesTo(socket, frameOf(type, chatId, callId));
      if (identity.name === "a removed member" && READS.has(type)) {
        // A former member still reads what was sent while they belonged.
        const seqs = [...real.join("\n").matchAll(/"seq":(\d+)/g)];
        expect(seqs.length).toBeGreaterThan(0);
        for (const [, seq] of seqs) {
          expect(Number(seq)).toBeLessThanOrEqual(removalSeq);
        }
        return;
      }
      const missing = await repliesTo(
        socket,
        frameOf(type, unusedChatId(chatId), newMessageId()),
      );
      expect(real.join("\n")).toBe(missing.join("\n"));
      expect(real.join("\n")).not.toContain(alice.id);
    },
  );
});

describe("WebSocket frames between blocked people", () => {
  let bobSocket: TestSocket;

  beforeAll(async () => {
    bobSocket = await connect(bob);
    const blocked = await api("PUT", `/api/blocks/${alice.id}`, {
      cookie: bob.cookie,
    });
    expect(blocked.ok).toBe(true);
  });

  it("send in the direct chat is forbidden", async () => {
    const id = newMessageId();
    aliceSocket.send({
      type: "send",
      chatId: directId,
      message: { id, kind: "message", body: "x" },
    });
    const reply = await aliceSocket.next("error", (frame) => frame.id === id);
    expect(reply.error.code).toBe("forbidden");
  });

  it("call.start in the direct chat is forbidden", async () => {
    aliceSocket.send({
      type: "call.start",
      rid: "blocked-call",
      callId: newMessageId(),
      chatId: directId,
      video: false,
    });
    const reply = await aliceSocket.next(
      "error",
      (frame) => frame.rid === "blocked-call",
    );
    expect(reply.error.code).toBe("forbidden");
  });

  it("presence of the blocker reads as hidden", async () => {
    aliceSocket.send({ type: "view", chatId: directId, listed: [directId] });
    const presence = await aliceSocket.next(
      "presence",
      (frame) => frame.userId === bob.id,
    );
    expect(bobSocket.closeCode).toBeNull();
    expect(presence.online).toBe(false);
    expect(presence.lastSeen).toBeNull();
  });
});
