import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import {
  MAX_PROFILE_BATCH,
  type Contact,
  type PublicProfile,
} from "../../../protocol/index.ts";
import {
  contactsByUser,
  refreshContactProfiles,
  resetContacts,
  watchContacts,
} from "../../../pwa/src/data/contacts.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  ensureProfiles,
  fetchProfile,
  refreshProfileOnce,
  refreshProfiles,
} from "../../../pwa/src/data/profiles.ts";
import { connection } from "../../../pwa/src/data/state.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import { idFor, resetState } from "./fixtures.ts";

const fetchMock = vi.fn<typeof fetch>();
const logSpy = vi.spyOn(console, "info").mockImplementation(() => {});

/** Returns `count` distinct user ids, starting at `first`. */
function userIds(count: number, first = 1): string[] {
  return Array.from({ length: count }, (_, index) => idFor(first + index));
}

function profileOf(id: string): PublicProfile {
  return {
    id,
    phone: "+493011111111",
    displayName: `Person ${id.slice(-4)}`,
    about: "",
    photoId: null,
  };
}

function reply(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/** Replies to every batch with a profile for each id not in `unknown`. */
function serveProfiles(unknown: ReadonlySet<string> = new Set()): void {
  fetchMock.mockImplementation((_url, init) => {
    const { userIds: ids } = JSON.parse(init?.body as string) as {
      userIds: string[];
    };
    const users = ids.filter((id) => !unknown.has(id)).map(profileOf);
    return Promise.resolve(reply(200, { users }));
  });
}

/** Returns the ids of each request made, in order. */
function requestedBatches(): string[][] {
  return fetchMock.mock.calls.map(([url, init]) => {
    expect(url).toBe("/api/users/profiles");
    expect(init?.method).toBe("POST");
    return (JSON.parse(init?.body as string) as { userIds: string[] }).userIds;
  });
}

/** Returns the logged events named `event`. */
function logged(event: string): unknown[] {
  return logSpy.mock.calls
    .map(([line]) => JSON.parse(String(line)) as { event: string })
    .filter((entry) => entry.event === event);
}

/** Waits long enough for any queued batch to have gone out. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

function setOnline(onLine: boolean): void {
  vi.stubGlobal("navigator", { onLine });
}

beforeAll(() => vi.stubGlobal("fetch", fetchMock));
afterAll(() => vi.unstubAllGlobals());

beforeEach(async () => {
  resetContacts();
  await resetState();
  setOnline(true);
  connection.value = "offline";
  fetchMock.mockReset();
  logSpy.mockClear();
  serveProfiles();
});

afterEach(() => {
  resetContacts();
});

describe("fetchProfile batching", () => {
  it("sends one request for one tick", async () => {
    const ids = userIds(50);
    const results = await Promise.all(ids.map((id) => fetchProfile(id)));
    expect(results.every((fetched) => fetched)).toBe(true);
    expect(requestedBatches()).toEqual([ids]);
    const stored = await db.profiles.bulkGet(ids);
    expect(stored.map((profile) => profile?.id)).toEqual(ids);
  });

  it("splits at MAX_PROFILE_BATCH", async () => {
    const ids = userIds(MAX_PROFILE_BATCH + 30);
    const results = await Promise.all(ids.map((id) => fetchProfile(id)));
    expect(results.every((fetched) => fetched)).toBe(true);
    const batches = requestedBatches();
    expect(batches.map((batch) => batch.length)).toEqual([
      MAX_PROFILE_BATCH,
      30,
    ]);
    expect(batches.flat()).toEqual(ids);
  });

  it("shares a fetch already queued", async () => {
    const [id] = userIds(1);
    const first = fetchProfile(id!);
    const second = fetchProfile(id!);
    expect(second).toBe(first);
    expect(await first).toBe(true);
    expect(requestedBatches()).toEqual([[id]]);
  });

  it("resolves false for an unknown id", async () => {
    const [known, unknown] = userIds(2);
    serveProfiles(new Set([unknown!]));
    const results = await Promise.all([
      fetchProfile(known!),
      fetchProfile(unknown!),
    ]);
    expect(results).toEqual([true, false]);
    expect(logged("profiles_not_found")).toEqual([
      { event: "profiles_not_found", userIds: [unknown] },
    ]);
  });

  it("lets a later call retry after a failure", async () => {
    const ids = userIds(3);
    fetchMock.mockResolvedValueOnce(
      reply(500, { error: { code: "internal", message: "Server fault." } }),
    );
    const failed = await Promise.all(ids.map((id) => fetchProfile(id)));
    expect(failed).toEqual([false, false, false]);
    expect(logged("profiles_fetch_failed")).toHaveLength(1);

    const retried = await Promise.all(ids.map((id) => fetchProfile(id)));
    expect(retried).toEqual([true, true, true]);
    expect(requestedBatches()).toEqual([ids, ids]);
  });
});

describe("refreshProfileOnce", () => {
  it("fetches once per page load", async () => {
    const ids = userIds(20);
    for (const id of ids) refreshProfileOnce(id);
    await settle();
    for (const id of ids) refreshProfileOnce(id);
    await settle();
    expect(requestedBatches()).toEqual([ids]);
  });

  it("tries again after a failed fetch", async () => {
    const [id] = userIds(1);
    fetchMock.mockResolvedValueOnce(
      reply(503, { error: { code: "internal", message: "Unavailable." } }),
    );
    refreshProfileOnce(id!);
    await settle();
    refreshProfileOnce(id!);
    await settle();
    expect(requestedBatches()).toEqual([[id], [id]]);
    expect(await db.profiles.get(id!)).toEqual(profileOf(id!));
  });
});

describe("offline profile fetches", () => {
  it("make no request", async () => {
    setOnline(false);
    const ids = userIds(30);
    const results = await Promise.all(ids.map((id) => fetchProfile(id)));
    for (const id of userIds(10, 100)) refreshProfileOnce(id);
    await ensureProfiles(userIds(5, 200));
    await settle();
    expect(results.every((fetched) => !fetched)).toBe(true);
    expect(fetchMock).not.toHaveBeenCalled();
    expect(logSpy).not.toHaveBeenCalled();
  });

  it("go out in one batch when the connection returns", async () => {
    setOnline(false);
    const ids = [...userIds(30), ...userIds(10, 100)];
    for (const id of ids) refreshProfileOnce(id);
    await settle();
    expect(fetchMock).not.toHaveBeenCalled();

    setOnline(true);
    connection.value = "online";
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    expect(requestedBatches()).toEqual([ids]);
    await vi.waitFor(async () => expect(await db.profiles.count()).toBe(40));

    // Fetched while parked, so not fetched again this page load.
    for (const id of ids) refreshProfileOnce(id);
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("wait for the connection after a network failure", async () => {
    const first = userIds(50);
    fetchMock.mockRejectedValueOnce(new TypeError("Failed to fetch"));
    const results = await Promise.all(first.map((id) => fetchProfile(id)));
    expect(results.every((fetched) => !fetched)).toBe(true);
    expect(logged("profiles_fetch_failed")).toHaveLength(1);

    const later = userIds(5, 100);
    const laterResults = await Promise.all(later.map((id) => fetchProfile(id)));
    await settle();
    expect(laterResults.every((fetched) => !fetched)).toBe(true);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(logged("profiles_fetch_failed")).toHaveLength(1);

    connection.value = "online";
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    expect(requestedBatches()[1]).toEqual([...first, ...later]);
  });
});

describe("profile refreshes", () => {
  it("skip profiles fetched within maxAgeMs", async () => {
    const ids = userIds(4);
    await Promise.all(ids.slice(0, 2).map((id) => fetchProfile(id)));
    refreshProfiles(ids, 60_000);
    await settle();
    refreshProfiles(ids.slice(0, 1));
    await settle();
    expect(requestedBatches()).toEqual([
      ids.slice(0, 2),
      ids.slice(2),
      ids.slice(0, 1),
    ]);
  });

  it("follow a contacts frame that links accounts", async () => {
    const [linked, relinked, unchanged] = userIds(3);
    const contact = (phone: string, userId: string | null): Contact => ({
      phone,
      name: `Name ${phone}`,
      userId,
      addedAt: 1,
      updatedAt: 1,
    });
    await db.contacts.bulkPut([
      contact("+493011111111", null),
      contact("+493022222222", idFor(99)),
      contact("+493033333333", unchanged!),
    ]);
    await handleFrame({
      type: "contacts",
      contacts: [
        contact("+493011111111", linked!),
        contact("+493022222222", relinked!),
        contact("+493033333333", unchanged!),
        contact("+493044444444", null),
      ],
      removed: [],
    });
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    expect(requestedBatches()).toEqual([[linked, relinked]]);
  });

  it("cover saved contacts when the screen opens", async () => {
    const ids = userIds(3);
    await db.contacts.bulkPut(
      ids.map((userId, index) => ({
        phone: `+49301111111${index}`,
        name: `Contact ${index}`,
        userId,
        addedAt: 1,
        updatedAt: 1,
      })),
    );
    watchContacts();
    await vi.waitFor(() => expect(contactsByUser.value.size).toBe(3));
    refreshContactProfiles();
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(1));
    await vi.waitFor(async () => expect(await db.profiles.count()).toBe(3));
    expect(requestedBatches()).toEqual([ids]);

    // Opening the screen again within a minute fetches nothing.
    refreshContactProfiles();
    await settle();
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
