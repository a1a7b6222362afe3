import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import {
  forgetAllUnsavedSends,
  queueUnsavedSends,
  saveUnsavedSend,
  storeSend,
  unsavedSends,
  type UnsavedSend,
} from "../../../pwa/src/data/unsaved-sends.ts";
import { CHAT, ME, MY_DEVICE, PEER, idFor, resetState } from "./fixtures.ts";

/** A Map behind the Storage methods the module uses. */
const storage = new Map<string, string>();

function copy(n: number, userId = ME): UnsavedSend {
  return {
    id: idFor(n),
    chatId: CHAT,
    userId,
    deviceId: MY_DEVICE,
    text: `text ${n}`,
    replyTo: null,
    body: JSON.stringify({ v: 1, text: `text ${n}` }),
    ts: 1_700_000_000_000 + n,
  };
}

beforeAll(() => {
  vi.stubGlobal("localStorage", {
    get length() {
      return storage.size;
    },
    key: (index: number) => [...storage.keys()][index] ?? null,
    getItem: (key: string) => storage.get(key) ?? null,
    setItem: (key: string, value: string) => storage.set(key, value),
    removeItem: (key: string) => storage.delete(key),
  });
});

afterAll(() => {
  vi.unstubAllGlobals();
});

beforeEach(async () => {
  storage.clear();
  await resetState();
});

describe("unsaved sends", () => {
  it("queues a copy at the next start", async () => {
    expect(saveUnsavedSend(copy(2))).toBe(true);
    expect(saveUnsavedSend(copy(1))).toBe(true);

    await queueUnsavedSends(ME);

    const outbox = await db.outbox.orderBy("n").toArray();
    expect(outbox.map((entry) => entry.id)).toEqual([idFor(1), idFor(2)]);
    const row = await db.messages.get(idFor(1));
    expect(row?.status).toBe("pending");
    expect(row?.text).toBe("text 1");
    expect(unsavedSends()).toEqual([]);
  });

  it("stores a copy once when two tabs queue it", async () => {
    await storeSend(copy(1));
    await storeSend(copy(1));

    expect(await db.outbox.count()).toBe(1);
    expect(await db.messages.count()).toBe(1);
  });

  it("drops the copy of another account", async () => {
    saveUnsavedSend(copy(1, PEER));

    await queueUnsavedSends(ME);

    expect(await db.outbox.count()).toBe(0);
    expect(await db.messages.count()).toBe(0);
    expect(unsavedSends()).toEqual([]);
  });

  it("removes an unreadable copy", () => {
    storage.set("messenger.unsavedSend.broken", "{not json");
    storage.set("messenger.unsavedSend.partial", JSON.stringify({ id: "x" }));

    expect(unsavedSends()).toEqual([]);
    expect(storage.size).toBe(0);
  });

  it("forgets every copy on logout", () => {
    saveUnsavedSend(copy(1));
    saveUnsavedSend(copy(2, PEER));
    storage.set("messenger.other", "kept");

    forgetAllUnsavedSends();

    expect([...storage.keys()]).toEqual(["messenger.other"]);
  });
});
