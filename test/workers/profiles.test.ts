import { env, runInDurableObject } from "cloudflare:test";
import { v7 as uuidv7 } from "uuid";
import { describe, expect, it } from "vitest";
import { MAX_PROFILE_BATCH, type PublicProfile } from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import { api, errorOf, json, signUp, type TestUser } from "./helpers.ts";

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

function postProfiles(viewer: TestUser | null, body: unknown) {
  return api("POST", "/api/users/profiles", {
    cookie: viewer?.cookie,
    body,
  });
}

/** Fetches profiles as `viewer` and returns them by user id. */
async function profilesAs(viewer: TestUser, userIds: string[]) {
  const response = await postProfiles(viewer, { userIds });
  expect(response.status).toBe(200);
  const { users } = await json<{ users: PublicProfile[] }>(response);
  return new Map(users.map((user) => [user.id, user]));
}

/** Gives `user` an about text and a photo id; returns the photo id. */
async function fillProfile(user: TestUser, about: string): Promise<string> {
  const patched = await api("PATCH", "/api/me", {
    cookie: user.cookie,
    body: { about },
  });
  expect(patched.status).toBe(200);
  const photoId = uuidv7();
  await runInDurableObject(hubStub(user.id), (hub: UserHub) =>
    hub.setPhoto(photoId),
  );
  return photoId;
}

async function updateSettings(user: TestUser, patch: Record<string, string>) {
  const response = await api("PATCH", "/api/me/settings", {
    cookie: user.cookie,
    body: patch,
  });
  expect(response.status).toBe(200);
}

async function addContact(owner: TestUser, phone: string) {
  const response = await api("POST", "/api/contacts", {
    cookie: owner.cookie,
    body: { phone, name: "Friend" },
  });
  expect(response.status).toBe(200);
}

describe("POST /api/users/profiles", () => {
  it("returns several profiles in one call", async () => {
    const viewer = await signUp();
    const ana = await signUp();
    const ben = await signUp();
    const anaPhoto = await fillProfile(ana, "Out climbing");
    const seen = await profilesAs(viewer, [ana.id, ben.id, viewer.id]);
    expect(seen.size).toBe(3);
    expect(seen.get(ana.id)?.about).toBe("Out climbing");
    expect(seen.get(ana.id)?.photoId).toBe(anaPhoto);
    expect(seen.get(ana.id)?.phone).toBe(ana.phone);
    expect(seen.get(ben.id)?.photoId).toBeNull();
    expect(seen.get(viewer.id)?.phone).toBe(viewer.phone);
  });

  it("returns a repeated id once", async () => {
    const viewer = await signUp();
    const ana = await signUp();
    const response = await postProfiles(viewer, {
      userIds: [ana.id, ana.id],
    });
    const { users } = await json<{ users: PublicProfile[] }>(response);
    expect(users.map((user) => user.id)).toEqual([ana.id]);
  });

  it("applies each owner's audiences", async () => {
    const friend = await signUp();
    const stranger = await signUp();
    const open = await signUp();
    const contactsOnly = await signUp();
    const hidden = await signUp();
    const openPhoto = await fillProfile(open, "Open");
    const contactsOnlyPhoto = await fillProfile(contactsOnly, "Contacts only");
    await fillProfile(hidden, "Nobody");
    await updateSettings(contactsOnly, {
      aboutVisibility: "contacts",
      photoVisibility: "contacts",
    });
    await updateSettings(hidden, {
      aboutVisibility: "nobody",
      photoVisibility: "nobody",
    });
    await addContact(contactsOnly, friend.phone);
    await addContact(hidden, friend.phone);
    const ids = [open.id, contactsOnly.id, hidden.id];

    const toFriend = await profilesAs(friend, ids);
    expect(toFriend.get(open.id)?.about).toBe("Open");
    expect(toFriend.get(open.id)?.photoId).toBe(openPhoto);
    expect(toFriend.get(contactsOnly.id)?.about).toBe("Contacts only");
    expect(toFriend.get(contactsOnly.id)?.photoId).toBe(contactsOnlyPhoto);
    expect(toFriend.get(hidden.id)?.about).toBe("");
    expect(toFriend.get(hidden.id)?.photoId).toBeNull();

    const toStranger = await profilesAs(stranger, ids);
    expect(toStranger.get(open.id)?.about).toBe("Open");
    expect(toStranger.get(open.id)?.photoId).toBe(openPhoto);
    expect(toStranger.get(contactsOnly.id)?.about).toBe("");
    expect(toStranger.get(contactsOnly.id)?.photoId).toBeNull();
    expect(toStranger.get(contactsOnly.id)?.displayName).toBe(
      toFriend.get(contactsOnly.id)?.displayName,
    );
    expect(toStranger.get(hidden.id)?.about).toBe("");
    expect(toStranger.get(hidden.id)?.photoId).toBeNull();
  });

  it("leaves out ids without an account", async () => {
    const viewer = await signUp();
    const ana = await signUp();
    const unknown = crypto.randomUUID();
    const seen = await profilesAs(viewer, [unknown, ana.id]);
    expect([...seen.keys()]).toEqual([ana.id]);
  });

  it("accepts a full batch", async () => {
    const viewer = await signUp();
    const ana = await signUp();
    const userIds = Array.from({ length: MAX_PROFILE_BATCH - 1 }, () =>
      crypto.randomUUID(),
    );
    const seen = await profilesAs(viewer, [...userIds, ana.id]);
    expect([...seen.keys()]).toEqual([ana.id]);
  });

  it("rejects too many ids", async () => {
    const viewer = await signUp();
    const userIds = Array.from({ length: MAX_PROFILE_BATCH + 1 }, () =>
      crypto.randomUUID(),
    );
    const response = await postProfiles(viewer, { userIds });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe("too_large");
    expect(error.field).toBe("userIds");
    expect(error.message).toContain(`at most ${MAX_PROFILE_BATCH}`);
  });

  it("rejects an empty list", async () => {
    const viewer = await signUp();
    const response = await postProfiles(viewer, { userIds: [] });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("userIds");
  });

  it("rejects an invalid id", async () => {
    const viewer = await signUp();
    const response = await postProfiles(viewer, {
      userIds: [viewer.id, "not-a-uuid"],
    });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("userIds.1");
  });

  it("rejects a body without userIds", async () => {
    const viewer = await signUp();
    const missing = await postProfiles(viewer, {});
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).field).toBe("userIds");
    const extra = await postProfiles(viewer, {
      userIds: [viewer.id],
      phones: [],
    });
    expect(extra.status).toBe(400);
    expect((await errorOf(extra)).code).toBe("invalid_request");
    const notJson = await postProfiles(viewer, "{");
    expect(notJson.status).toBe(400);
    expect((await errorOf(notJson)).code).toBe("invalid_request");
  });

  it("requires a session", async () => {
    const ana = await signUp();
    const response = await postProfiles(null, { userIds: [ana.id] });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });
});
