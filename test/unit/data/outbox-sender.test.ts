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

describe("service worker outbox sender", () => {
  it("posts queued messages in order", async () => {
    await sendText(CHAT, "first");
    await sendText(CHAT, "second");
    fetchMock.mockResolvedValueOnce(stored(1)).mockResolvedValueOnce(stored(2));

    await sendOutbox();

    const bodies = fetchMock.mock.calls.map(([, init]) => {
      const text = typeof init?.body === "string" ? init.body : "null";
      return JSON.parse(text) as { body: string };
    });
    expect(bodies.map((body) => body.body)).toEqual([
      JSON.stringify({ v: 1, text: "first" }),
      JSON.stringify({ v: 1, text: "second" }),
    ]);
    expect(await db.outbox.count()).toBe(0);
  });

  it("stops posting entries wiped by a logout", async () => {
    await sendText(CHAT, "first");
    await sendText(CHAT, "second");
    fetchMock.mockImplementationOnce(async () => {
      // The person logs out in a page while the first request runs.
      await wipeDatabase();
      return stored(1);
    });

    await sendOutbox();

    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
