import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CLOSE_ACCOUNT_DELETED,
  type Contact,
  type PublicProfile,
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
  type DetailReplyBody,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";
import { newCallId } from "./call-helpers.ts";
import { patternBytes, sendWithMedia, uploadFile } from "./media-helpers.ts";
import { JPEG_16 } from "./photo-images.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.close();
});

function deleteAccount(
  user: TestUser,
  phone = user.phone,
  origin = ORIGIN,
): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/me`, {
    method: "DELETE",
    headers: {
      Cookie: user.cookie,
      Origin: origin,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ phone }),
  });
}

async function deleted(user: TestUser): Promise<void> {
  const response = await deleteAccount(user);
  expect(response.status, await response.clone().text()).toBe(204);
}

async function setPhoto(user: TestUser): Promise<string> {
  const response = await SELF.fetch(`${ORIGIN}/api/me/photo`, {
    method: "PUT",
    headers: { Cookie: user.cookie, "Content-Type": "image/jpeg" },
    body: JPEG_16,
  });
  expect(response.status).toBe(200);
  return (await json<{ photoId: string }>(response)).photoId;
}

async function detail(viewer: TestUser, chatId: string) {
  const response = await api("GET", `/api/chats/${chatId}`, {
    cookie: viewer.cookie,
  });
  expect(response.status).toBe(200);
  return (await json<DetailReplyBody>(response)).chat;
}

async function profileOf(viewer: TestUser, userId: string) {
  const response = await api("GET", `/api/users/${userId}`, {
    cookie: viewer.cookie,
  });
  expect(response.status).toBe(200);
  return (await json<{ user: PublicProfile }>(response)).user;
}

/** Rows of every table of a user's hub, except the schema version. */
async function hubRows(userId: string): Promise<Record<string, number>> {
  const stub = env.USER_HUB.get(env.USER_HUB.idFromName(userId));
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite%' AND name NOT LIKE '_cf%'
         AND name != 'schema_meta'`,
      )
      .toArray();
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const n = sql
        .exec<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`)
        .one().n;
      if (n > 0) counts[name] = n;
    }
    return counts;
  });
}

/** Senders and system events stored in a chat, in sequence order. */
async function roomLog(chatId: string) {
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql
      .exec<{ sender_id: string; kind: string; body: string }>(
        "SELECT sender_id, kind, body FROM message ORDER BY seq",
      )
      .toArray(),
  );
}

describe("account deletion request", () => {
  it("rejects a number that is not the account's", async () => {
    const ben = await signUp();
    const other = await signUp();
    const response = await deleteAccount(ben, other.phone);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("phone");
    const me = await api("GET", "/api/me", { cookie: ben.cookie });
    expect(me.status).toBe(200);
  });

  it("rejects a request from another site", async () => {
    const ben = await signUp();
    const response = await deleteAccount(ben, ben.phone, "https://evil.test");
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
    const me = await api("GET", "/api/me", { cookie: ben.cookie });
    expect(me.status).toBe(200);
  });

  it("rejects a request without a session", async () => {
    const response = await api("DELETE", "/api/me", {
      body: { phone: "+4915100000000" },
    });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it("clears the session cookie", async () => {
    const ben = await signUp();
    const response = await deleteAccount(ben);
    expect(response.status).toBe(204);
    expect(response.headers.get("Set-Cookie")).toMatch(/^session=;.*Max-Age=0/);
  });
});

describe("deleted account sessions", () => {
  it("rejects every device's next request", async () => {
    const laptop = await signUp();
    const phone = await signUp(laptop.phone, "Phone");
    await deleted(laptop);
    for (const device of [laptop, phone]) {
      const response = await api("GET", "/api/me", { cookie: device.cookie });
      expect(response.status).toBe(401);
      expect((await errorOf(response)).code).toBe("account_deleted");
    }
  });

  it("closes open sockets with the deletion code", async () => {
    const laptop = await signUp();
    const phone = await signUp(laptop.phone, "Phone");
    const socket = await connect(phone);
    sockets.push(socket);
    await deleted(laptop);
    expect(await socket.closed()).toBe(CLOSE_ACCOUNT_DELETED);
  });

  it("erases every hub table but the tombstone", async () => {
    const ben = await signUp();
    const ann = await signUp();
    await openDirect(ben, ann);
    await api("POST", "/api/keys", {
      cookie: ben.cookie,
      body: { keyPackages: ["kpone", "kptwo"] },
    });
    await api("POST", "/api/contacts", {
      cookie: ben.cookie,
      body: { phone: ann.phone, name: "Ann" },
    });
    await api("PUT", "/api/push/subscription", {
      cookie: ben.cookie,
      body: {
        endpoint: "https://push.example/sub",
        keys: { p256dh: "AA", auth: "AA" },
      },
    });
    expect(Object.keys(await hubRows(ben.id)).length).toBeGreaterThan(2);
    await deleted(ben);
    expect(await hubRows(ben.id)).toEqual({ deleted_account: 1 });
  });
});

describe("number after deletion", () => {
  it("signs up a new account that inherits nothing", async () => {
    const ben = await signUp();
    const ann = await signUp();
    const chatId = await openDirect(ben, ann);
    await api("POST", "/api/contacts", {
      cookie: ben.cookie,
      body: { phone: ann.phone, name: "Ann" },
    });
    await deleted(ben);
    const fresh = await signUp(ben.phone, "New phone");
    expect(fresh.id).not.toBe(ben.id);
    const me = await api("GET", "/api/me", { cookie: fresh.cookie });
    expect((await json<{ me: { displayName: string } }>(me)).me).toMatchObject({
      displayName: "",
      phone: ben.phone,
    });
    const contacts = await api("GET", "/api/contacts", {
      cookie: fresh.cookie,
    });
    expect(await json<{ contacts: unknown[] }>(contacts)).toEqual({
      contacts: [],
    });
    const old = await api("GET", `/api/chats/${chatId}`, {
      cookie: fresh.cookie,
    });
    expect(old.status).toBe(403);
    const oldSession = await api("GET", "/api/me", { cookie: ben.cookie });
    expect(oldSession.status).toBe(401);
  });

  it("finds the new account when others look the number up", async () => {
    const ben = await signUp();
    const ann = await signUp();
    await deleted(ben);
    const before = await api("POST", "/api/users/lookup", {
      cookie: ann.cookie,
      body: { phone: ben.phone },
    });
    expect(before.status).toBe(404);
    const fresh = await signUp(ben.phone);
    const after = await api("POST", "/api/users/lookup", {
      cookie: ann.cookie,
      body: { phone: ben.phone },
    });
    expect((await json<{ user: { id: string } }>(after)).user.id).toBe(
      fresh.id,
    );
  });
});

describe("contacts of a deleted account", () => {
  async function saveContact(owner: TestUser, phone: string, userId?: string) {
    const response = await api("POST", "/api/contacts", {
      cookie: owner.cookie,
      body: { phone, name: "Ben", ...(userId === undefined ? {} : { userId }) },
    });
    expect(response.status).toBe(200);
    return (await json<{ contact: Contact }>(response)).contact;
  }

  async function contactsOf(owner: TestUser): Promise<Contact[]> {
    const response = await api("GET", "/api/contacts", {
      cookie: owner.cookie,
    });
    expect(response.status).toBe(200);
    return (await json<{ contacts: Contact[] }>(response)).contacts;
  }

  it("unlinks others' contacts at once", async () => {
    const ann = await signUp();
    const ben = await signUp();
    expect((await saveContact(ann, ben.phone)).userId).toBe(ben.id);
    const annSocket = await connect(ann);
    sockets.push(annSocket);

    await deleted(ben);

    const frame = await annSocket.next("contacts");
    expect(frame.contacts.map((c) => [c.phone, c.userId])).toEqual([
      [ben.phone, null],
    ]);
    const listed = await contactsOf(ann);
    expect(listed.map((c) => [c.phone, c.name, c.userId])).toEqual([
      [ben.phone, "Ben", null],
    ]);
  });

  it("unlinks a contact saved by account id", async () => {
    const ann = await signUp();
    const ben = await signUp();
    expect((await saveContact(ann, ben.phone, ben.id)).userId).toBe(ben.id);

    await deleted(ben);

    expect((await contactsOf(ann))[0]?.userId).toBeNull();
  });

  it("links others' contacts to the next account", async () => {
    const ann = await signUp();
    const ben = await signUp();
    await saveContact(ann, ben.phone);
    await deleted(ben);

    const fresh = await signUp(ben.phone);

    await vi.waitFor(async () => {
      expect((await contactsOf(ann))[0]?.userId).toBe(fresh.id);
    });
  });

  it("keeps a contact of another number", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const cid = await signUp();
    await saveContact(ann, cid.phone);

    await deleted(ben);

    expect((await contactsOf(ann))[0]?.userId).toBe(cid.id);
  });
});

describe("chats of a deleted account", () => {
  it("removes the person from each group", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const cid = await signUp();
    const groupId = await createGroup(ben, [ann, cid]);
    await deleted(ben);
    const chat = await detail(ann, groupId);
    expect(chat.members.map((member) => member.userId).sort()).toEqual(
      [ann.id, cid.id].sort(),
    );
    expect(chat.deletedMemberIds).toEqual([ben.id]);
    // Ben was the only admin, so the longest-standing member took over.
    expect(chat.members.filter((m) => m.role === "admin")).toHaveLength(1);
    const events = (await roomLog(groupId))
      .filter((row) => row.kind === "system")
      .map((row) => JSON.parse(row.body) as { event: string });
    expect(events.map((event) => event.event)).toContain("deleted");
  });

  it("keeps old messages and names the deleted peer", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ann, ben);
    const benSocket = await connect(ben);
    const annSocket = await connect(ann);
    sockets.push(benSocket, annSocket);
    await sendText(benSocket, chatId, "from ben");
    await deleted(ben);
    const row = await annSocket.next(
      "chat",
      (frame) => frame.chat.id === chatId && frame.chat.memberCount === 1,
    );
    expect(row.chat.peerId).toBe(ben.id);
    const log = await roomLog(chatId);
    expect(log[0]).toMatchObject({ sender_id: ben.id, body: "from ben" });
    expect(log.at(-1)).toMatchObject({ sender_id: ben.id, kind: "system" });
    const chat = await detail(ann, chatId);
    expect(chat.members.map((member) => member.userId)).toEqual([ann.id]);
    expect(chat.deletedMemberIds).toEqual([ben.id]);
  });

  it("shows the deleted marker instead of the profile", async () => {
    const ann = await signUp();
    const ben = await signUp();
    await api("PATCH", "/api/me", {
      cookie: ben.cookie,
      body: { displayName: "Ben" },
    });
    await setPhoto(ben);
    await deleted(ben);
    expect(await profileOf(ann, ben.id)).toEqual({
      id: ben.id,
      phone: "",
      displayName: "",
      about: "",
      photoId: null,
      deleted: true,
    });
  });

  it("rejects new messages to the one-to-one chat", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ann, ben);
    await deleted(ben);
    const response = await api("POST", `/api/chats/${chatId}/messages`, {
      cookie: ann.cookie,
      body: { id: newMessageId(), kind: "message", body: "still there?" },
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toMatch(/account was deleted/);
  });

  it("rejects a new chat or group with the account", async () => {
    const ann = await signUp();
    const ben = await signUp();
    await deleted(ben);
    const direct = await api("POST", "/api/chats/direct", {
      cookie: ann.cookie,
      body: { userId: ben.id },
    });
    expect(direct.status).toBe(404);
    expect((await errorOf(direct)).message).toMatch(/was deleted/);
    const group = await api("POST", "/api/chats/group", {
      cookie: ann.cookie,
      body: { name: "Team", memberIds: [ben.id] },
    });
    expect(group.status).toBe(404);
  });

  it("rejects a call to the one-to-one chat", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ann, ben);
    await deleted(ben);
    const annSocket = await connect(ann);
    sockets.push(annSocket);
    annSocket.send({
      type: "call.start",
      chatId,
      callId: newCallId(),
      video: false,
    });
    const error = await annSocket.next("error");
    expect(error.error.message).toMatch(/deleted/);
  });
});

describe("files of a deleted account", () => {
  it("deletes uploaded media and profile photos from R2", async () => {
    const ann = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ann, ben);
    const benFile = await uploadFile(ben, chatId, patternBytes(2048));
    expect((await sendWithMedia(ben, chatId, [benFile])).status).toBe(200);
    const annFile = await uploadFile(ann, chatId, patternBytes(1024));
    const photoId = await setPhoto(ben);
    expect(await env.MEDIA.head(`media/${chatId}/${benFile}`)).not.toBeNull();
    await deleted(ben);
    expect(await env.MEDIA.head(`media/${chatId}/${benFile}`)).toBeNull();
    expect(await env.MEDIA.head(`photos/${ben.id}/${photoId}`)).toBeNull();
    expect(await env.MEDIA.head(`media/${chatId}/${annFile}`)).not.toBeNull();
  });
});
