import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import { db, wipeDatabase } from "../../../pwa/src/data/db.ts";
import { sendText } from "../../../pwa/src/data/messages.ts";
import { sendOutbox } from "../../../pwa/sw/outbox-sender.ts";
import { CHAT, resetState } from "./fixtures.ts";

const fetchMock = vi.fn<typeof fetch>();

function stored(seq: number): Response {
  return new Response(JSON.stringify({ seq, ts: 1_700_000_000_000 + seq }), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  });
}

beforeAll(() => {
  vi.stubGlobal("fetch", fetchMock);
});

afterAll(() => {
  vi.unstubAllGlobals();
});

beforeEach(async () => {
  fetchMock.mockReset();
  await resetState();
});

/** Gives every queued entry a ciphertext, as the page's engine does. */
async function encryptQueued(): Promise<void> {
  await db.outbox.toCollection().modify((entry) => {
    entry.cipher = `mls1:${entry.body.length}-${entry.id}`;
  });
}

function postedBodies(): string[] {
  return fetchMock.mock.calls.map(([, init]) => {
    const text = typeof init?.body === "string" ? init.body : "null";
    return (JSON.parse(text) as { body: string }).body;
  });
}

describe("service worker outbox sender", () => {
  it("posts queued messages in order", async () => {
    await sendText(CHAT, "first");
    await sendText(CHAT, "second");
    await encryptQueued();
    const ciphers = (await db.outbox.orderBy("n").toArray()).map(
      (entry) => entry.cipher,
    );
    fetchMock.mockResolvedValueOnce(stored(1)).mockResolvedValueOnce(stored(2));

    await sendOutbox();

    expect(postedBodies()).toEqual(ciphers);
    expect(await db.outbox.count()).toBe(0);
  });

  it("never posts an entry without ciphertext", async () => {
    await sendText(CHAT, "first");
    await encryptQueued();
    await sendText(CHAT, "plain");
    fetchMock.mockResolvedValueOnce(stored(1));

    await sendOutbox();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(postedBodies()[0]).toMatch(/^mls1:/);
    const left = await db.outbox.toArray();
    expect(left.map((entry) => entry.state)).toEqual(["queued"]);
    expect(left[0]?.cipher).toBeUndefined();
  });

  it("stops posting entries wiped by a logout", async () => {
    await sendText(CHAT, "first");
    await sendText(CHAT, "second");
    await encryptQueued();
    fetchMock.mockImplementationOnce(async () => {
      // The person logs out in a page while the first request runs.
      await wipeDatabase();
      return stored(1);
    });

    await sendOutbox();

    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
