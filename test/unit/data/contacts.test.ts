import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import {
  MAX_DISCOVERY_BATCH,
  type Contact,
  type PublicProfile,
} from "../../../protocol/index.ts";
import {
  importContacts,
  removeContact,
  saveContact,
} from "../../../pwa/src/data/contact-edits.ts";
import {
  contacts,
  contactsByUser,
  loadContacts,
  resetContacts,
  watchContacts,
} from "../../../pwa/src/data/contacts.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import { PEER, resetState } from "./fixtures.ts";

const fetchMock = vi.fn<typeof fetch>();

function reply(status: number, body?: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function contact(phone: string, fields: Partial<Contact> = {}): Contact {
  return {
    phone,
    name: `Name ${phone}`,
    userId: null,
    addedAt: 1,
    updatedAt: 1,
    ...fields,
  };
}

const PROFILE: PublicProfile = {
  id: PEER,
  phone: "+493011111111",
  displayName: "Ana",
  about: "Hi there",
  photoId: null,
};

/** Returns the phone numbers shown in the `contacts` signal, sorted. */
function shownPhones(): string[] {
  return [...contacts.value.keys()].sort();
}

beforeAll(() => vi.stubGlobal("fetch", fetchMock));
afterAll(() => vi.unstubAllGlobals());

beforeEach(async () => {
  resetContacts();
  await resetState();
  fetchMock.mockReset();
  watchContacts();
});

describe("contacts frame", () => {
  it("stores and removes contacts", async () => {
    await db.contacts.put(contact("+493022222222"));
    await handleFrame({
      type: "contacts",
      contacts: [contact("+493011111111", { userId: PEER })],
      removed: ["+493022222222"],
    });
    expect(await db.contacts.toCollection().primaryKeys()).toEqual([
      "+493011111111",
    ]);
    await vi.waitFor(() => expect(shownPhones()).toEqual(["+493011111111"]));
    expect(contactsByUser.value.get(PEER)?.phone).toBe("+493011111111");
  });

  it("keeps a newer stored version", async () => {
    await db.contacts.put(
      contact("+493011111111", { name: "Renamed", updatedAt: 5 }),
    );
    await handleFrame({
      type: "contacts",
      contacts: [contact("+493011111111", { name: "Old", updatedAt: 4 })],
      removed: [],
    });
    expect((await db.contacts.get("+493011111111"))?.name).toBe("Renamed");
  });
});

describe("contact requests", () => {
  it("load replaces the stored list", async () => {
    await db.contacts.put(contact("+493099999999"));
    fetchMock.mockImplementation((url) =>
      Promise.resolve(
        url === "/api/contacts"
          ? reply(200, { contacts: [contact("+493011111111")] })
          : reply(200, { blocked: [] }),
      ),
    );
    await loadContacts();
    expect(await db.contacts.toCollection().primaryKeys()).toEqual([
      "+493011111111",
    ]);
  });

  it("load keeps changes made while it ran", async () => {
    const kept = contact("+493033333333", { name: "Kept", updatedAt: 2 });
    const renamed = contact("+493044444444", { name: "Old", updatedAt: 2 });
    const removed = contact("+493055555555");
    const untouched = contact("+493066666666");
    await db.contacts.bulkPut([renamed, removed, untouched]);
    let answer: (response: Response) => void = () => undefined;
    fetchMock.mockImplementation((url) =>
      url === "/api/contacts"
        ? new Promise((resolve) => {
            answer = resolve;
          })
        : Promise.resolve(reply(200, { blocked: [] })),
    );
    const loading = loadContacts();
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));

    // The server listed its contacts before these frames' changes.
    await handleFrame({
      type: "contacts",
      contacts: [kept, { ...renamed, name: "New", updatedAt: 3 }],
      removed: [removed.phone],
    });
    answer(reply(200, { contacts: [renamed, removed] }));
    await loading;

    const stored = new Map(
      (await db.contacts.toArray()).map((row) => [row.phone, row.name]),
    );
    expect(stored.get(kept.phone)).toBe("Kept");
    expect(stored.get(renamed.phone)).toBe("New");
    expect(stored.has(removed.phone)).toBe(false);
    // A row no change touched follows the server's list, which lacks it.
    expect(stored.has(untouched.phone)).toBe(false);
  });

  it("load failure keeps the stored list", async () => {
    await db.contacts.put(contact("+493099999999"));
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    await loadContacts();
    expect(await db.contacts.count()).toBe(1);
  });

  it("save stores the contact and the profile", async () => {
    const saved = contact("+493011111111", { userId: PEER, name: "Ana S" });
    fetchMock.mockResolvedValue(reply(200, { contact: saved, user: PROFILE }));
    await saveContact("+493011111111", "Ana S");
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/contacts");
    expect(init?.method).toBe("POST");
    expect(init?.body).toBe(
      JSON.stringify({ phone: "+493011111111", name: "Ana S" }),
    );
    expect(await db.contacts.get("+493011111111")).toEqual(saved);
    expect(await db.profiles.get(PEER)).toEqual(PROFILE);
  });

  it("save reply keeps a removal made meanwhile", async () => {
    const stored = contact("+493011111111", { name: "Old", updatedAt: 2 });
    await db.contacts.put(stored);
    let answer: (response: Response) => void = () => undefined;
    fetchMock.mockReturnValue(
      new Promise((resolve) => {
        answer = resolve;
      }),
    );
    const saving = saveContact(stored.phone, "New");
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));

    // Another device removed the contact after the server saved the name:
    // both frames arrive before the reply to the save.
    const renamed = { ...stored, name: "New", updatedAt: 3 };
    await handleFrame({ type: "contacts", contacts: [renamed], removed: [] });
    await handleFrame({
      type: "contacts",
      contacts: [],
      removed: [stored.phone],
    });
    answer(reply(200, { contact: renamed, user: null }));
    await saving;
    expect(await db.contacts.get(stored.phone)).toBeUndefined();
  });

  it("remove keeps a save made after it", async () => {
    const stored = contact("+493011111111", { name: "Old", updatedAt: 2 });
    await db.contacts.put(stored);
    let answer: (response: Response) => void = () => undefined;
    fetchMock.mockReturnValue(
      new Promise((resolve) => {
        answer = resolve;
      }),
    );
    const removing = removeContact(stored.phone);
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));

    // The server removed the contact, then another device saved it again:
    // both frames arrive before the reply to the removal.
    const saved = { ...stored, name: "New", addedAt: 3, updatedAt: 3 };
    await handleFrame({
      type: "contacts",
      contacts: [],
      removed: [stored.phone],
    });
    await handleFrame({ type: "contacts", contacts: [saved], removed: [] });
    answer(reply(204));
    await removing;
    expect(await db.contacts.get(stored.phone)).toEqual(saved);
  });

  it("remove deletes a contact already gone", async () => {
    await db.contacts.put(contact("+493011111111"));
    fetchMock.mockResolvedValue(
      reply(404, { error: { code: "not_found", message: "Not saved." } }),
    );
    await removeContact("+493011111111");
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(url).toBe("/api/contacts/remove");
    expect(init?.method).toBe("POST");
    expect(init?.body).toBe(JSON.stringify({ phone: "+493011111111" }));
    expect(await db.contacts.count()).toBe(0);
  });

  it("remove keeps the contact when offline", async () => {
    await db.contacts.put(contact("+493011111111"));
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    await expect(removeContact("+493011111111")).rejects.toThrow(
      "Cannot reach the server",
    );
    expect(await db.contacts.count()).toBe(1);
  });
});

describe("contact import", () => {
  /** Replies to each import batch as a server with `remaining` checks. */
  function serveImports(options: { failAt?: number } = {}) {
    let call = 0;
    fetchMock.mockImplementation((_url, init) => {
      call += 1;
      if (call === options.failAt) {
        return Promise.resolve(
          reply(429, {
            error: {
              code: "rate_limited",
              message: "Too many contact checks today.",
              retryAfter: 3600,
            },
          }),
        );
      }
      const body = JSON.parse(init?.body as string) as {
        contacts: { phone: string; name: string }[];
      };
      const saved = body.contacts.map((entry, index) =>
        contact(entry.phone, {
          name: entry.name,
          userId: index === 0 ? PEER : null,
        }),
      );
      return Promise.resolve(
        reply(200, {
          contacts: saved,
          matches: [{ phone: saved[0]!.phone, user: PROFILE }],
          unchecked: 2,
          remaining: 100 - call,
        }),
      );
    });
  }

  function entries(count: number) {
    return Array.from({ length: count }, (_, index) => ({
      phone: `+4930${String(10_000_000 + index)}`,
      name: `Person ${index}`,
    }));
  }

  function batchSizes(): number[] {
    return fetchMock.mock.calls.map(
      ([, init]) =>
        (JSON.parse(init?.body as string) as { contacts: unknown[] }).contacts
          .length,
    );
  }

  it("sends batches of the discovery maximum", async () => {
    serveImports();
    const progress: number[] = [];
    const result = await importContacts(
      entries(2 * MAX_DISCOVERY_BATCH + 7),
      (done) => progress.push(done),
    );
    expect(batchSizes()).toEqual([MAX_DISCOVERY_BATCH, MAX_DISCOVERY_BATCH, 7]);
    expect(progress).toEqual([
      MAX_DISCOVERY_BATCH,
      2 * MAX_DISCOVERY_BATCH,
      2 * MAX_DISCOVERY_BATCH + 7,
    ]);
    expect(result.saved).toBe(2 * MAX_DISCOVERY_BATCH + 7);
    expect(result.onApp).toBe(3);
    expect(result.unchecked).toBe(6);
    expect(result.remaining).toBe(97);
    expect(result.error).toBeNull();
    expect(await db.contacts.count()).toBe(2 * MAX_DISCOVERY_BATCH + 7);
    expect(await db.profiles.get(PEER)).toEqual(PROFILE);
  });

  it("sends a repeated number once", async () => {
    serveImports();
    const [first] = entries(1);
    await importContacts([first!, { ...first!, name: "Again" }]);
    expect(batchSizes()).toEqual([1]);
    expect((await db.contacts.get(first!.phone))?.name).toBe(first!.name);
  });

  it("stops at a refused batch", async () => {
    serveImports({ failAt: 2 });
    const result = await importContacts(entries(2 * MAX_DISCOVERY_BATCH + 1));
    // The second batch is refused and the third never sent.
    expect(batchSizes()).toEqual([MAX_DISCOVERY_BATCH, MAX_DISCOVERY_BATCH]);
    expect(result.saved).toBe(MAX_DISCOVERY_BATCH);
    expect(result.error?.code).toBe("rate_limited");
    expect(result.error?.message).toBe("Too many contact checks today.");
    expect(await db.contacts.count()).toBe(MAX_DISCOVERY_BATCH);
  });
});
