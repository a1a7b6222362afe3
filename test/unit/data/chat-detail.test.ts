import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import type { ChatDetail, SystemEvent } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import { addChat, CHAT, ME, PEER, resetState, stored } from "./fixtures.ts";

const fetchMock = vi.fn<typeof fetch>();
vi.spyOn(console, "info").mockImplementation(() => {});

function detail(lastSeq: number, memberIds: string[]): ChatDetail {
  return {
    id: CHAT,
    kind: "group",
    name: "Trip",
    createdAt: 1,
    createdBy: ME,
    lastSeq,
    members: memberIds.map((userId) => ({
      userId,
      role: "member",
      joinedAt: 1,
      deliveredSeq: 0,
      readSeq: 0,
    })),
  };
}

function reply(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}

const DETAIL_URL = `/api/chats/${CHAT}`;

/** Serves `current` for the chat and no profiles. */
function serveDetail(current: ChatDetail): void {
  fetchMock.mockImplementation((url) =>
    Promise.resolve(
      url === DETAIL_URL ? reply({ chat: current }) : reply({ users: [] }),
    ),
  );
}

function detailRequests(): number {
  return fetchMock.mock.calls.filter(([url]) => url === DETAIL_URL).length;
}

function systemMessage(seq: number, event: SystemEvent) {
  return stored(seq, { kind: "system", body: JSON.stringify(event) });
}

/** Delivers `messages` as a catch-up page, as after a reconnect. */
async function catchUp(messages: ReturnType<typeof stored>[]) {
  await handleFrame({
    type: "messages",
    chatId: CHAT,
    messages,
    hasMore: false,
  });
}

/** Waits long enough for a background fetch to have finished. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

beforeAll(() => vi.stubGlobal("fetch", fetchMock));
afterAll(() => vi.unstubAllGlobals());

beforeEach(async () => {
  await resetState();
  fetchMock.mockReset();
  await addChat({ lastSeq: 3 });
  await db.details.put(detail(3, [ME, PEER]));
  serveDetail(detail(4, [ME]));
});

describe("cached chat detail", () => {
  it("refreshes after a missed account deletion", async () => {
    await catchUp([systemMessage(4, { event: "deleted", actorId: PEER })]);

    await vi.waitFor(async () => {
      const members = (await db.details.get(CHAT))?.members ?? [];
      expect(members.map((member) => member.userId)).toEqual([ME]);
    });
    expect(detailRequests()).toBe(1);
  });

  it("refreshes after a missed removal", async () => {
    const removed = { event: "removed", actorId: ME, targetId: PEER } as const;
    await catchUp([systemMessage(4, removed)]);

    await vi.waitFor(() => expect(detailRequests()).toBe(1));
  });

  it("stays for a change it already has", async () => {
    await catchUp([systemMessage(3, { event: "left", actorId: PEER })]);
    await settle();

    expect(detailRequests()).toBe(0);
  });

  it("stays for ordinary messages", async () => {
    await catchUp([stored(4), stored(5)]);
    await settle();

    expect(detailRequests()).toBe(0);
  });
});
