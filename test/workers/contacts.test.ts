import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import {
  DISCOVERY_NUMBERS_PER_DAY,
  MAX_DISCOVERY_BATCH,
  type Contact,
  type PublicProfile,
} from "../../protocol/index.ts";
import {
  api,
  connect,
  errorOf,
  json,
  randomPhone,
  signUp,
  type TestUser,
} from "./helpers.ts";

type SavedReply = { contact: Contact; user: PublicProfile | null };

async function putContact(owner: TestUser, phone: string, name: string) {
  return api("POST", "/api/contacts", {
    cookie: owner.cookie,
    body: { phone, name },
  });
}

async function removeContact(owner: TestUser, phone: string) {
  return api("POST", "/api/contacts/remove", {
    cookie: owner.cookie,
    body: { phone },
  });
}

function hubStub(user: TestUser) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(user.id));
}

/** Records made-up checks until the person's daily discovery limit is used. */
async function fillChecks(user: TestUser): Promise<void> {
  await runInDurableObject(hubStub(user), (_instance, state) => {
    state.storage.sql.exec(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
         WHERE i < ?)
       INSERT INTO discovery_check (phone_hash, checked_at)
       SELECT 'filler-' || i, ? FROM n`,
      DISCOVERY_NUMBERS_PER_DAY,
      Date.now(),
    );
  });
}

async function clearChecks(user: TestUser): Promise<void> {
  await runInDurableObject(hubStub(user), (_instance, state) => {
    state.storage.sql.exec("DELETE FROM discovery_check");
  });
}

/** Counts the numbers the person checked in the discovery window. */
async function countChecks(user: TestUser): Promise<number> {
  return runInDurableObject(hubStub(user), (_instance, state) => {
    return state.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM discovery_check")
      .one().n;
  });
}

async function listContacts(user: TestUser): Promise<Contact[]> {
  const response = await api("GET", "/api/contacts", { cookie: user.cookie });
  expect(response.status).toBe(200);
  return (await json<{ contacts: Contact[] }>(response)).contacts;
}

describe("contacts routes", () => {
  it("adds, renames, lists and removes", async () => {
    const ana = await signUp();
    const ben = await signUp();

    const added = await putContact(ana, ben.phone, "Ben");
    expect(added.status).toBe(200);
    const first = await json<SavedReply>(added);
    expect(first.contact.phone).toBe(ben.phone);
    expect(first.contact.name).toBe("Ben");
    expect(first.contact.userId).toBe(ben.id);
    expect(first.user?.id).toBe(ben.id);
    expect(first.user?.phone).toBe(ben.phone);

    const renamed = await putContact(ana, ben.phone, "Benjamin");
    expect(renamed.status).toBe(200);
    const second = await json<SavedReply>(renamed);
    expect(second.contact.name).toBe("Benjamin");
    expect(second.contact.addedAt).toBe(first.contact.addedAt);
    expect(second.contact.updatedAt).toBeGreaterThanOrEqual(
      first.contact.updatedAt,
    );

    const listed = await listContacts(ana);
    expect(listed.map((c) => c.name)).toEqual(["Benjamin"]);

    const removed = await removeContact(ana, ben.phone);
    expect(removed.status).toBe(204);
    expect(await listContacts(ana)).toEqual([]);
    const again = await removeContact(ana, ben.phone);
    expect(again.status).toBe(404);
    expect((await errorOf(again)).field).toBe("phone");
  });

  it("saves a number without an account", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    const response = await putContact(ana, phone, "Dora");
    expect(response.status).toBe(200);
    const body = await json<SavedReply>(response);
    expect(body.contact.userId).toBeNull();
    expect(body.user).toBeNull();
    expect((await listContacts(ana)).map((c) => c.phone)).toEqual([phone]);
  });

  it("imports and reports matches", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const stranger = randomPhone();
    const response = await api("POST", "/api/contacts/import", {
      cookie: ana.cookie,
      body: {
        contacts: [
          { phone: stranger, name: "Stranger" },
          { phone: ben.phone, name: "Ben" },
          { phone: stranger, name: "Stranger Two" },
        ],
      },
    });
    expect(response.status).toBe(200);

    const body = await json<{
      contacts: Contact[];
      matches: { phone: string; user: PublicProfile }[];
      unchecked: number;
      remaining: number;
    }>(response);
    expect(body.contacts).toHaveLength(2);
    expect(body.matches.map((m) => [m.phone, m.user.id])).toEqual([
      [ben.phone, ben.id],
    ]);
    expect(body.unchecked).toBe(0);
    expect(body.remaining).toBe(998);

    const listed = await listContacts(ana);
    const byPhone = new Map(listed.map((c) => [c.phone, c]));
    expect(byPhone.get(stranger)?.name).toBe("Stranger Two");
    expect(byPhone.get(stranger)?.userId).toBeNull();
    expect(byPhone.get(ben.phone)?.userId).toBe(ben.id);
  });
});

describe("contacts bad input", () => {
  it("rejects a number that is not E.164", async () => {
    const ana = await signUp();
    const numbers: unknown[] = [
      "12345",
      "abc",
      "+0301234567",
      "+49 30 1234567",
      "+4930123456789012",
      4930123456,
      null,
    ];
    for (const phone of numbers) {
      const label = JSON.stringify(phone);
      const response = await api("POST", "/api/contacts", {
        cookie: ana.cookie,
        body: { phone, name: "Nobody" },
      });
      expect(response.status, label).toBe(400);
      const error = await errorOf(response);
      expect(error.code, label).toBe("invalid_request");
      expect(error.field, label).toBe("phone");
      const removed = await api("POST", "/api/contacts/remove", {
        cookie: ana.cookie,
        body: { phone },
      });
      expect(removed.status, label).toBe(400);
      expect((await errorOf(removed)).field, label).toBe("phone");
    }
    expect(await listContacts(ana)).toEqual([]);
  });

  it("keeps numbers out of request paths", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    for (const method of ["PUT", "DELETE"]) {
      const path = `/api/contacts/${encodeURIComponent(phone)}`;
      const response = await api(method, path, {
        cookie: ana.cookie,
        body: method === "PUT" ? { name: "Old route" } : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect(await listContacts(ana)).toEqual([]);
  });

  it("rejects too many numbers", async () => {
    const ana = await signUp();
    const phones = Array.from({ length: MAX_DISCOVERY_BATCH + 1 }, () =>
      randomPhone(),
    );
    const discover = await api("POST", "/api/contacts/discover", {
      cookie: ana.cookie,
      body: { phones },
    });
    expect(discover.status).toBe(413);
    const discoverError = await errorOf(discover);
    expect(discoverError.field).toBe("phones");
    expect(discoverError.message).toBe(
      `phones: must list at most ${MAX_DISCOVERY_BATCH} numbers`,
    );

    const imported = await api("POST", "/api/contacts/import", {
      cookie: ana.cookie,
      body: { contacts: phones.map((phone) => ({ phone, name: "X" })) },
    });
    expect(imported.status).toBe(413);
    const importError = await errorOf(imported);
    expect(importError.field).toBe("contacts");
    expect(importError.message).toBe(
      `contacts: must list at most ${MAX_DISCOVERY_BATCH} contacts`,
    );
    expect(await listContacts(ana)).toEqual([]);
  });

  it("rejects empty lists and bad numbers", async () => {
    const ana = await signUp();
    const empty = await api("POST", "/api/contacts/discover", {
      cookie: ana.cookie,
      body: { phones: [] },
    });
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toBe(
      "phones: must list at least one number",
    );
    const bad = await api("POST", "/api/contacts/discover", {
      cookie: ana.cookie,
      body: { phones: [randomPhone(), "0301234567"] },
    });
    expect(bad.status).toBe(400);
    const badError = await errorOf(bad);
    expect(badError.field).toBe("phones.1");
    expect(badError.message).toBe(
      "phones.1: must be a phone number in E.164 form",
    );
  });

  it("rejects unknown fields", async () => {
    const ana = await signUp();
    const cases = [
      {
        method: "POST",
        path: "/api/contacts",
        body: { phone: randomPhone(), name: "Ann", email: "ann@example.com" },
      },
      {
        method: "POST",
        path: "/api/contacts/remove",
        body: { phone: randomPhone(), name: "Ann" },
      },
      {
        method: "POST",
        path: "/api/contacts/discover",
        body: { phones: [randomPhone()], force: true },
      },
      {
        method: "POST",
        path: "/api/contacts/import",
        body: { contacts: [{ phone: randomPhone(), name: "A", note: "x" }] },
      },
    ];
    for (const { method, path, body } of cases) {
      const response = await api(method, path, { cookie: ana.cookie, body });
      expect(response.status, path).toBe(400);
      const error = await errorOf(response);
      expect(error.code).toBe("invalid_request");
      expect(error.message).toMatch(/Unrecognized key/);
    }
    expect(await listContacts(ana)).toEqual([]);
  });
});

describe("contacts sync", () => {
  it("reaches every device of the owner", async () => {
    const ana = await signUp();
    const anaTablet = await signUp(ana.phone, "Tablet");
    const ben = await signUp();
    const laptop = await connect(ana);
    const tablet = await connect(anaTablet);

    expect((await putContact(ana, ben.phone, "Ben")).status).toBe(200);
    for (const socket of [laptop, tablet]) {
      const frame = await socket.next("contacts");
      expect(frame.removed).toEqual([]);
      expect(frame.contacts).toHaveLength(1);
      expect(frame.contacts[0]?.phone).toBe(ben.phone);
      expect(frame.contacts[0]?.name).toBe("Ben");
      expect(frame.contacts[0]?.userId).toBe(ben.id);
    }
    const seen = await listContacts(anaTablet);
    expect(seen.map((c) => c.name)).toEqual(["Ben"]);

    expect((await putContact(anaTablet, ben.phone, "Benny")).status).toBe(200);
    for (const socket of [laptop, tablet]) {
      const frame = await socket.next("contacts");
      expect(frame.contacts[0]?.name).toBe("Benny");
    }

    const removed = await removeContact(ana, ben.phone);
    expect(removed.status).toBe(204);
    for (const socket of [laptop, tablet]) {
      const frame = await socket.next("contacts");
      expect(frame.contacts).toEqual([]);
      expect(frame.removed).toEqual([ben.phone]);
    }
    expect(await listContacts(anaTablet)).toEqual([]);

    const phone = randomPhone();
    const imported = await api("POST", "/api/contacts/import", {
      cookie: anaTablet.cookie,
      body: { contacts: [{ phone, name: "Imported" }] },
    });
    expect(imported.status).toBe(200);
    for (const socket of [laptop, tablet]) {
      const frame = await socket.next("contacts");
      expect(frame.contacts.map((c) => c.phone)).toEqual([phone]);
    }
    expect((await listContacts(ana)).map((c) => c.name)).toEqual(["Imported"]);
    laptop.close();
    tablet.close();
  });

  it("sends the link discovery finds", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    // With the daily limit used up, the save leaves the number unchecked,
    // so the sign-up below does not link it and discovery has to.
    await fillChecks(ana);
    expect((await putContact(ana, phone, "Later")).status).toBe(200);
    const socket = await connect(ana);
    const cara = await signUp(phone);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.frames.filter((f) => f.type === "contacts")).toEqual([]);
    expect((await listContacts(ana))[0]?.userId).toBeNull();
    await clearChecks(ana);

    const response = await api("POST", "/api/contacts/discover", {
      cookie: ana.cookie,
      body: { phones: [phone] },
    });
    expect(response.status).toBe(200);
    const body = await json<{
      matches: { phone: string; user: PublicProfile }[];
      remaining: number;
    }>(response);
    expect(body.matches.map((m) => m.user.id)).toEqual([cara.id]);
    const frame = await socket.next("contacts");
    expect(frame.contacts.map((c) => [c.phone, c.userId])).toEqual([
      [phone, cara.id],
    ]);
    const listed = await listContacts(ana);
    expect(listed[0]?.userId).toBe(cara.id);

    // A second check finds nothing new, so no frame goes out.
    const again = await api("POST", "/api/contacts/discover", {
      cookie: ana.cookie,
      body: { phones: [phone] },
    });
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(socket.frames.filter((f) => f.type === "contacts")).toEqual([]);
    socket.close();
  });
});

describe("contacts of new accounts", () => {
  it("link when the number signs up", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    expect((await putContact(ana, phone, "Invited")).status).toBe(200);
    const socket = await connect(ana);
    const checksBefore = await countChecks(ana);

    const cara = await signUp(phone);
    const frame = await socket.next("contacts");
    expect(frame.removed).toEqual([]);
    expect(frame.contacts.map((c) => [c.phone, c.name, c.userId])).toEqual([
      [phone, "Invited", cara.id],
    ]);
    const listed = await listContacts(ana);
    expect(listed.map((c) => c.userId)).toEqual([cara.id]);
    expect(await countChecks(ana)).toBe(checksBefore);
    socket.close();
  });

  it("link for everyone who saved it", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const phone = randomPhone();
    const imported = await api("POST", "/api/contacts/import", {
      cookie: ana.cookie,
      body: { contacts: [{ phone, name: "From Ana's book" }] },
    });
    expect(imported.status).toBe(200);
    expect((await putContact(ben, phone, "From Ben")).status).toBe(200);

    const cara = await signUp(phone);
    await vi.waitFor(async () => {
      expect((await listContacts(ana))[0]?.userId).toBe(cara.id);
    });
    await vi.waitFor(async () => {
      expect((await listContacts(ben))[0]?.userId).toBe(cara.id);
    });
  });

  it("skip a contact deleted before", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    expect((await putContact(ana, phone, "Gone")).status).toBe(200);
    const removed = await removeContact(ana, phone);
    expect(removed.status).toBe(204);
    const socket = await connect(ana);

    await signUp(phone);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.frames.filter((f) => f.type === "contacts")).toEqual([]);
    expect(await listContacts(ana)).toEqual([]);
    socket.close();
  });

  it("link only on the first sign-in", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    const cara = await signUp(phone);
    expect((await putContact(ana, phone, "Cara")).status).toBe(200);
    const socket = await connect(ana);

    await signUp(phone, "Second device");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.frames.filter((f) => f.type === "contacts")).toEqual([]);
    expect((await listContacts(ana))[0]?.userId).toBe(cara.id);
    socket.close();
  });
});

describe("contacts of known accounts", () => {
  it("link without a check", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await fillChecks(ana);
    const response = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone: ben.phone, name: "Ben", userId: ben.id },
    });
    expect(response.status).toBe(200);
    const body = await json<SavedReply>(response);
    expect(body.contact.userId).toBe(ben.id);
    expect(body.user?.id).toBe(ben.id);
    expect(await countChecks(ana)).toBe(DISCOVERY_NUMBERS_PER_DAY);
  });

  it("ignore an account of another number", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const cara = await signUp();
    await fillChecks(ana);
    const response = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone: ben.phone, name: "Ben", userId: cara.id },
    });
    expect(response.status).toBe(200);
    const body = await json<SavedReply>(response);
    expect(body.contact.userId).toBeNull();
    expect(body.user).toBeNull();
  });

  it("reject an id that is no user id", async () => {
    const ana = await signUp();
    const response = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone: randomPhone(), name: "Ben", userId: "ben" },
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("userId");
  });
});
