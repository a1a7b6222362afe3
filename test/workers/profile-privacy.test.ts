import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Me, PublicProfile } from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import {
  api,
  connect,
  json,
  newMessageId,
  openDirect,
  randomPhone,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

async function addContact(owner: TestUser, phone: string, name = "Friend") {
  const response = await api("POST", "/api/contacts", {
    cookie: owner.cookie,
    body: { phone, name },
  });
  expect(response.status).toBe(200);
}

async function removeContact(owner: TestUser, phone: string) {
  const response = await api("POST", "/api/contacts/remove", {
    cookie: owner.cookie,
    body: { phone },
  });
  expect(response.status).toBe(204);
}

async function updateSettings(user: TestUser, patch: Record<string, string>) {
  const response = await api("PATCH", "/api/me/settings", {
    cookie: user.cookie,
    body: patch,
  });
  expect(response.status).toBe(200);
  return (await json<{ me: Me }>(response)).me;
}

async function profileAs(viewer: TestUser, owner: TestUser) {
  const response = await api("GET", `/api/users/${owner.id}`, {
    cookie: viewer.cookie,
  });
  expect(response.status).toBe(200);
  return (await json<{ user: PublicProfile }>(response)).user;
}

/** Gives `user` an about text and a photo id; returns the photo id. */
async function fillProfile(user: TestUser): Promise<string> {
  const patched = await api("PATCH", "/api/me", {
    cookie: user.cookie,
    body: { about: "Out climbing" },
  });
  expect(patched.status).toBe(200);
  const photoId = newMessageId();
  const me = await runInDurableObject(hubStub(user.id), (hub: UserHub) =>
    hub.setPhoto(photoId),
  );
  expect(me.photoId).toBe(photoId);
  return photoId;
}

function presenceOf(socket: TestSocket, userId: string) {
  return socket.next("presence", (frame) => frame.userId === userId);
}

describe("profile settings", () => {
  it("default to everyone for stored accounts", async () => {
    const ana = await signUp();
    const response = await api("GET", "/api/me", { cookie: ana.cookie });
    const { me } = await json<{ me: Me }>(response);
    expect(me.settings.aboutVisibility).toBe("everyone");
    expect(me.settings.photoVisibility).toBe("everyone");
    expect(me.photoId).toBeNull();
  });

  it("store the photo id", async () => {
    const ana = await signUp();
    const photoId = await fillProfile(ana);
    const response = await api("GET", "/api/me", { cookie: ana.cookie });
    expect((await json<{ me: Me }>(response)).me.photoId).toBe(photoId);
    const removed = await runInDurableObject(hubStub(ana.id), (hub: UserHub) =>
      hub.setPhoto(null),
    );
    expect(removed.photoId).toBeNull();
  });
});

describe("about and photo visibility", () => {
  it("follows the contact list", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const carl = await signUp();
    const photoId = await fillProfile(ana);
    await updateSettings(ana, {
      aboutVisibility: "contacts",
      photoVisibility: "contacts",
    });
    await addContact(ana, ben.phone);

    const toContact = await profileAs(ben, ana);
    expect(toContact.about).toBe("Out climbing");
    expect(toContact.photoId).toBe(photoId);
    const toStranger = await profileAs(carl, ana);
    expect(toStranger.about).toBe("");
    expect(toStranger.photoId).toBeNull();
    expect(toStranger.displayName).toBe(toContact.displayName);
    const toSelf = await profileAs(ana, ana);
    expect(toSelf.about).toBe("Out climbing");
    expect(toSelf.photoId).toBe(photoId);

    await removeContact(ana, ben.phone);
    const afterRemoval = await profileAs(ben, ana);
    expect(afterRemoval.about).toBe("");
    expect(afterRemoval.photoId).toBeNull();
  });

  it("treats each field on its own", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const photoId = await fillProfile(ana);
    await updateSettings(ana, {
      aboutVisibility: "nobody",
      photoVisibility: "everyone",
    });
    await addContact(ana, ben.phone);
    const seen = await profileAs(ben, ana);
    expect(seen.about).toBe("");
    expect(seen.photoId).toBe(photoId);

    await updateSettings(ana, {
      aboutVisibility: "everyone",
      photoVisibility: "nobody",
    });
    const swapped = await profileAs(ben, ana);
    expect(swapped.about).toBe("Out climbing");
    expect(swapped.photoId).toBeNull();
  });

  it("hides both from a blocked person", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await fillProfile(ana);
    const blocked = await api("PUT", `/api/blocks/${ben.id}`, {
      cookie: ana.cookie,
    });
    expect(blocked.status).toBe(204);
    const seen = await profileAs(ben, ana);
    expect(seen.about).toBe("");
    expect(seen.photoId).toBeNull();
  });

  it("applies to lookup, discovery and contacts replies", async () => {
    const ana = await signUp();
    const carl = await signUp();
    await fillProfile(ana);
    await updateSettings(ana, {
      aboutVisibility: "contacts",
      photoVisibility: "contacts",
    });

    const looked = await api("POST", "/api/users/lookup", {
      cookie: carl.cookie,
      body: { phone: ana.phone },
    });
    expect(looked.status).toBe(200);
    const { user } = await json<{ user: PublicProfile }>(looked);
    expect(user.about).toBe("");
    expect(user.photoId).toBeNull();

    const discovered = await api("POST", "/api/contacts/discover", {
      cookie: carl.cookie,
      body: { phones: [ana.phone] },
    });
    const { matches } = await json<{
      matches: { user: PublicProfile }[];
    }>(discovered);
    expect(matches[0]?.user.about).toBe("");
    expect(matches[0]?.user.photoId).toBeNull();

    // Ana saving Carl makes him a contact of hers, so her about shows.
    await addContact(ana, carl.phone);
    const saved = await api("POST", "/api/contacts", {
      cookie: carl.cookie,
      body: { phone: ana.phone, name: "Ana" },
    });
    const reply = await json<{ user: PublicProfile | null }>(saved);
    expect(reply.user?.about).toBe("Out climbing");
    expect(reply.user?.photoId).not.toBeNull();
  });
});

describe("last seen for contacts", () => {
  it("follows adding and removing at once", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const anaSocket = await connect(ana);
    await updateSettings(ana, { lastSeen: "contacts" });
    const benSocket = await connect(ben);
    const chatId = await openDirect(ben, ana);
    benSocket.send({ type: "view", chatId, listed: [] });
    expect((await presenceOf(benSocket, ana.id)).online).toBe(false);

    await addContact(ana, ben.phone);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(true);

    await removeContact(ana, ben.phone);
    const hidden = await presenceOf(benSocket, ana.id);
    expect(hidden.online).toBe(false);
    expect(hidden.lastSeen).toBeNull();
    anaSocket.close();
    benSocket.close();
  });

  it("counts a number once its owner signs up", async () => {
    const ana = await signUp();
    const benPhone = randomPhone();
    await addContact(ana, benPhone, "Ben");
    const anaSocket = await connect(ana);
    await updateSettings(ana, { lastSeen: "contacts" });
    // Ana's saved number gets Ben's account when he signs up, so he counts
    // as her contact without another check.
    const ben = await signUp(benPhone);
    const benSocket = await connect(ben);
    const chatId = await openDirect(ben, ana);
    benSocket.send({ type: "view", chatId, listed: [] });
    await benSocket.next(
      "presence",
      (frame) => frame.userId === ana.id && frame.online,
    );

    await removeContact(ana, benPhone);
    expect((await presenceOf(benSocket, ana.id)).online).toBe(false);
    anaSocket.close();
    benSocket.close();
  });
});
