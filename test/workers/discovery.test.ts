import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import {
  DISCOVERY_NUMBERS_PER_DAY,
  MAX_DISCOVERY_BATCH,
  type Contact,
  type PublicProfile,
} from "../../protocol/index.ts";
import { sha256Hex } from "../../worker/crypto.ts";
import {
  api,
  connect,
  errorOf,
  json,
  randomPhone,
  signUp,
  type TestUser,
} from "./helpers.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

type Match = { phone: string; user: PublicProfile };
type DiscoverBody = { matches: Match[]; remaining: number };
type ImportBody = {
  contacts: Contact[];
  matches: Match[];
  unchecked: number;
  remaining: number;
};

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

/**
 * Records `count` checks of made-up numbers in the person's discovery
 * table, at `checkedAt`, as if they had been checked through the API.
 */
async function seedChecks(user: TestUser, count: number, checkedAt: number) {
  const hashes = await Promise.all(
    Array.from({ length: count }, () => sha256Hex(crypto.randomUUID())),
  );
  await runInDurableObject(hubStub(user.id), (_hub, state) => {
    state.storage.sql.exec(
      `INSERT INTO discovery_check (phone_hash, checked_at)
       SELECT value, ? FROM json_each(?)`,
      checkedAt,
      JSON.stringify(hashes),
    );
  });
}

async function clearChecks(user: TestUser): Promise<void> {
  await runInDurableObject(hubStub(user.id), (_hub, state) => {
    state.storage.sql.exec("DELETE FROM discovery_check");
  });
}

async function countChecks(user: TestUser): Promise<number> {
  return runInDurableObject(hubStub(user.id), (_hub, state) => {
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

async function discover(user: TestUser, phones: string[]) {
  return api("POST", "/api/contacts/discover", {
    cookie: user.cookie,
    body: { phones },
  });
}

async function lookup(user: TestUser, phone: string) {
  return api("POST", "/api/users/lookup", {
    cookie: user.cookie,
    body: { phone },
  });
}

async function importNumbers(user: TestUser, phones: string[]) {
  return api("POST", "/api/contacts/import", {
    cookie: user.cookie,
    body: { contacts: phones.map((phone) => ({ phone, name: "Imported" })) },
  });
}

function freshPhones(count: number): string[] {
  return Array.from({ length: count }, () => randomPhone());
}

describe("discovery limit", () => {
  it("stops at the daily limit", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const batches = DISCOVERY_NUMBERS_PER_DAY / MAX_DISCOVERY_BATCH;
    const checked: string[] = [];
    for (let batch = 0; batch < batches; batch += 1) {
      const phones = freshPhones(MAX_DISCOVERY_BATCH);
      if (batch === 0) phones[0] = ben.phone;
      const response = await discover(ana, phones);
      expect(response.status).toBe(200);
      const body = await json<DiscoverBody>(response);
      expect(body.remaining).toBe(
        DISCOVERY_NUMBERS_PER_DAY - (batch + 1) * MAX_DISCOVERY_BATCH,
      );
      checked.push(...phones);
    }

    const over = await discover(ana, [randomPhone()]);
    expect(over.status).toBe(429);
    const error = await errorOf(over);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(DAY_MS / 1000 - 60);
    expect(error.retryAfter).toBeLessThanOrEqual(DAY_MS / 1000);
    expect(over.headers.get("Retry-After")).toBe(String(error.retryAfter));
    expect(error.message).toBe(
      `You checked ${DISCOVERY_NUMBERS_PER_DAY} phone numbers for accounts in the last 24 hours, the daily maximum. Try again in 24 hours.`,
    );

    // Numbers already checked today cost nothing.
    const repeat = await discover(ana, [ben.phone, checked[1] ?? ""]);
    expect(repeat.status).toBe(200);
    const repeatBody = await json<DiscoverBody>(repeat);
    expect(repeatBody.remaining).toBe(0);
    expect(repeatBody.matches.map((m) => m.user.id)).toEqual([ben.id]);

    const newLookup = await lookup(ana, randomPhone());
    expect(newLookup.status).toBe(429);
    const knownLookup = await lookup(ana, ben.phone);
    expect(knownLookup.status).toBe(200);
  }, 60_000);

  it("counts a number once per request", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    const response = await discover(ana, [phone, phone, phone]);
    expect(response.status).toBe(200);
    const body = await json<DiscoverBody>(response);
    expect(body.remaining).toBe(DISCOVERY_NUMBERS_PER_DAY - 1);
    expect(body.matches).toEqual([]);
  });

  it("checks nothing when a request does not fit", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - 2, Date.now());
    const response = await discover(ana, [ben.phone, ...freshPhones(2)]);
    expect(response.status).toBe(429);
    const error = await errorOf(response);
    expect(error.message).toMatch(
      /^This request has 3 new phone numbers, but only 2 of your 1000 daily number checks are left\. Try again in 24 hours, or send fewer numbers\.$/,
    );
    // Nothing was recorded, so two numbers still fit.
    const fits = await discover(ana, [ben.phone, randomPhone()]);
    expect(fits.status).toBe(200);
    const body = await json<DiscoverBody>(fits);
    expect(body.remaining).toBe(0);
    expect(body.matches.map((m) => m.user.id)).toEqual([ben.id]);
  });

  it("retries once the oldest check expires", async () => {
    const ana = await signUp();
    const now = Date.now();
    await seedChecks(ana, 1, now - DAY_MS + 90 * 60_000);
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - 1, now);
    const response = await discover(ana, [randomPhone()]);
    expect(response.status).toBe(429);
    const error = await errorOf(response);
    // The oldest check leaves the window in 90 minutes.
    expect(error.retryAfter).toBeGreaterThan(90 * 60 - 30);
    expect(error.retryAfter).toBeLessThanOrEqual(90 * 60);
    expect(error.message).toMatch(/Try again in 2 hours\.$/);
  });

  it("frees room after 24 hours", async () => {
    const ana = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY, Date.now() - DAY_MS - 1);
    const response = await discover(ana, [randomPhone()]);
    expect(response.status).toBe(200);
    const body = await json<DiscoverBody>(response);
    expect(body.remaining).toBe(DISCOVERY_NUMBERS_PER_DAY - 1);
    const rows = await runInDurableObject(hubStub(ana.id), (_hub, state) =>
      state.storage.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM discovery_check")
        .one(),
    );
    expect(rows.n).toBe(1);
  });

  it("dates a repeated number from its latest check", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    const hash = await sha256Hex(phone);
    await runInDurableObject(hubStub(ana.id), (_hub, state) => {
      state.storage.sql.exec(
        "INSERT INTO discovery_check (phone_hash, checked_at) VALUES (?, ?)",
        hash,
        Date.now() - DAY_MS + 1000,
      );
    });
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - 1, Date.now());
    const repeat = await discover(ana, [phone]);
    expect(repeat.status).toBe(200);
    // Without the repeat, the first check would leave the window now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const over = await discover(ana, [randomPhone()]);
    expect(over.status).toBe(429);
  });

  it("counts lookups", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - 1, Date.now());
    const found = await lookup(ana, ben.phone);
    expect(found.status).toBe(200);
    const { user } = await json<{ user: PublicProfile }>(found);
    expect(user.id).toBe(ben.id);

    const missing = await lookup(ana, randomPhone());
    expect(missing.status).toBe(429);
    expect((await errorOf(missing)).retryAfter).toBeGreaterThan(0);

    const again = await lookup(ana, ben.phone);
    expect(again.status).toBe(200);
    const remaining = await discover(ana, [ben.phone]);
    expect((await json<DiscoverBody>(remaining)).remaining).toBe(0);
  });

  it("stores only hashes of numbers", async () => {
    const ana = await signUp();
    const phone = randomPhone();
    expect((await discover(ana, [phone])).status).toBe(200);
    const rows = await runInDurableObject(hubStub(ana.id), (_hub, state) =>
      state.storage.sql
        .exec<{ phone_hash: string }>("SELECT phone_hash FROM discovery_check")
        .toArray(),
    );
    expect(rows.map((row) => row.phone_hash)).toEqual([await sha256Hex(phone)]);
  });
});

describe("import under the limit", () => {
  it("saves everything and checks what fits", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const cara = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - 3, Date.now());
    const strangers = freshPhones(3);
    const phones = [ben.phone, ...strangers, cara.phone];
    const response = await importNumbers(ana, phones);
    expect(response.status).toBe(200);
    const body = await json<ImportBody>(response);
    expect(body.contacts).toHaveLength(5);
    expect(body.unchecked).toBe(2);
    expect(body.remaining).toBe(0);
    // Numbers are checked in request order, so Cara's is left unchecked.
    expect(body.matches.map((m) => m.user.id)).toEqual([ben.id]);
    const byPhone = new Map(body.contacts.map((c) => [c.phone, c]));
    expect(byPhone.get(ben.phone)?.userId).toBe(ben.id);
    expect(byPhone.get(cara.phone)?.userId).toBeNull();

    const full = await importNumbers(ana, [cara.phone]);
    expect(full.status).toBe(200);
    const fullBody = await json<ImportBody>(full);
    expect(fullBody.unchecked).toBe(1);
    expect(fullBody.matches).toEqual([]);

    const list = await api("GET", "/api/contacts", { cookie: ana.cookie });
    const { contacts } = await json<{ contacts: Contact[] }>(list);
    expect(contacts.map((c) => c.phone).sort()).toEqual([...phones].sort());
  });

  it("saves a contact the limit leaves unchecked", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY, Date.now());
    const response = await api("POST", "/api/contacts", {
      cookie: ana.cookie,
      body: { phone: ben.phone, name: "Ben" },
    });
    expect(response.status).toBe(200);
    const body = await json<{ contact: Contact; user: PublicProfile | null }>(
      response,
    );
    expect(body.contact.phone).toBe(ben.phone);
    expect(body.contact.userId).toBeNull();
    expect(body.user).toBeNull();
  });
});

describe("unchecked contacts", () => {
  it("get checked once room frees up", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const stranger = randomPhone();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY, Date.now());
    const imported = await importNumbers(ana, [ben.phone, stranger]);
    expect((await json<ImportBody>(imported)).unchecked).toBe(2);
    const socket = await connect(ana);

    await clearChecks(ana);
    expect((await listContacts(ana)).every((c) => c.userId === null)).toBe(
      true,
    );
    const frame = await socket.next("contacts");
    expect(frame.contacts.map((c) => [c.phone, c.userId])).toEqual([
      [ben.phone, ben.id],
    ]);
    const byPhone = new Map((await listContacts(ana)).map((c) => [c.phone, c]));
    expect(byPhone.get(ben.phone)?.userId).toBe(ben.id);
    expect(byPhone.get(stranger)?.userId).toBeNull();
    // Both numbers count once; the later lists check nothing again.
    await vi.waitFor(async () => expect(await countChecks(ana)).toBe(2));
    await listContacts(ana);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await countChecks(ana)).toBe(2);
    socket.close();
  });

  it("leave a tenth of the limit unused", async () => {
    const ana = await signUp();
    const ben = await signUp();
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY, Date.now());
    await importNumbers(ana, [ben.phone]);
    const socket = await connect(ana);
    await clearChecks(ana);
    const reserved = DISCOVERY_NUMBERS_PER_DAY / 10;
    await seedChecks(ana, DISCOVERY_NUMBERS_PER_DAY - reserved, Date.now());

    await listContacts(ana);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.frames.filter((f) => f.type === "contacts")).toEqual([]);
    expect((await listContacts(ana))[0]?.userId).toBeNull();
    expect(await countChecks(ana)).toBe(DISCOVERY_NUMBERS_PER_DAY - reserved);
    socket.close();
  });
});
