import { afterAll, describe, expect, it, vi } from "vitest";
import {
  api,
  connect,
  createGroup,
  newMessageId,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

/**
 * Devices that reconnect at once, one person each, in groups of GROUP.
 * NOTE: 100 keeps the suite short, because signing up takes most of the
 * run. bench/reconnect-storm.mjs measures a storm of 500 devices.
 */
const DEVICES = 100;
const GROUP = 10;
/** Sockets opened or users signed up at a time while setting up. */
const SETUP_BATCH = 25;

const sockets: TestSocket[] = [];

afterAll(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function inBatches<T, R>(
  items: T[],
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += SETUP_BATCH) {
    const batch = items.slice(start, start + SETUP_BATCH);
    results.push(
      ...(await Promise.all(batch.map((item, i) => work(item, start + i)))),
    );
  }
  return results;
}

/** Structured log lines (JSON with an `event`) written while `run` runs. */
async function logLinesDuring(run: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  };
  const spies = [
    vi.spyOn(console, "log").mockImplementation(record),
    vi.spyOn(console, "warn").mockImplementation(record),
    vi.spyOn(console, "error").mockImplementation(record),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines;
}

describe("reconnect storm", () => {
  it(
    "resumes every device at once with no error",
    { timeout: 240_000 },
    async () => {
      const slots = Array.from({ length: DEVICES }, (_, i) => i);
      const users: TestUser[] = await inBatches(slots, () => signUp());
      const groups: { chatId: string; owner: TestUser }[] = [];
      for (let start = 0; start < DEVICES; start += GROUP) {
        const [owner, ...members] = users.slice(start, start + GROUP);
        const chatId = await createGroup(owner!, members, `Group ${start}`);
        groups.push({ chatId, owner: owner! });
      }

      // Everyone connects once, then every socket drops at once.
      const first = await inBatches(users, (user) => connect(user));
      for (const socket of first) socket.close();

      // While all are away, each group gets one message.
      const sent = new Map<string, string>();
      for (const { chatId, owner } of groups) {
        const id = newMessageId();
        const response = await api("POST", `/api/chats/${chatId}/messages`, {
          cookie: owner.cookie,
          body: { id, kind: "message", body: `while away ${chatId}` },
        });
        expect(response.status).toBe(200);
        sent.set(chatId, id);
      }

      const received: string[] = [];
      const lines = await logLinesDuring(async () => {
        await Promise.all(
          users.map(async (user, index) => {
            const socket = await connect(user);
            sockets.push(socket);
            const { chatId } = groups[Math.floor(index / GROUP)]!;
            const rid = `resume-${index}`;
            socket.send({
              type: "sync",
              rid,
              chats: [{ chatId, afterSeq: 0 }],
            });
            const page = await socket.next(
              "messages",
              (frame) => frame.rid === rid && frame.chatId === chatId,
              120_000,
            );
            await socket.next("sync.done", (frame) => frame.rid === rid);
            const ids = page.messages.map((message) => message.id);
            if (ids.includes(sent.get(chatId)!)) received.push(user.id);
            const errors = socket.frames.filter((f) => f.type === "error");
            expect(errors, `error frames of device ${index}`).toEqual([]);
          }),
        );
      });

      expect(received.length).toBe(DEVICES);
      // The spies see the Worker's and the objects' log lines, which run
      // in this isolate: one "socket.opened" per reconnecting device.
      const opened = lines.filter((line) => line.includes('"socket.opened"'));
      expect(opened.length).toBe(DEVICES);
      const failures = lines.filter((line) =>
        /"event":"[^"]*(error|fail|reject|uncaught)/i.test(line),
      );
      expect(failures).toEqual([]);
    },
  );
});
