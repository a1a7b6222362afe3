import { afterEach, describe, expect, it } from "vitest";
import { CALL_START_BURST } from "../../protocol/index.ts";
import {
  newCallId,
  nextEnded,
  startCall,
  storedCallEntries,
} from "./call-helpers.ts";
import {
  connect,
  openDirect,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return { chatId, anaSocket: await open(ana), benSocket: await open(ben) };
}

/** Sends `call.start` and waits for "calling" or an error with its rid. */
async function tryStart(socket: TestSocket, chatId: string, callId: string) {
  const rid = `start-${callId}`;
  socket.send({ type: "call.start", rid, callId, chatId, video: false });
  return Promise.race([
    socket.next(
      "call.state",
      (frame) => frame.call.callId === callId && frame.state === "calling",
    ),
    socket.next("error", (frame) => frame.rid === rid),
  ]);
}

describe("call start rate", () => {
  it("limits starts and cancels in a loop", async () => {
    const { chatId, anaSocket, benSocket } = await pair();
    const attempts = CALL_START_BURST + 3;
    let started = 0;
    const errors: { code: string; retryAfter?: number }[] = [];

    for (let i = 0; i < attempts; i++) {
      const callId = newCallId();
      const reply = await tryStart(anaSocket, chatId, callId);
      if (reply.type === "error") {
        errors.push(reply.error);
        continue;
      }
      started += 1;
      await benSocket.next("call.incoming", (f) => f.call.callId === callId);
      anaSocket.send({ type: "call.hangup", callId });
      await nextEnded(anaSocket, callId);
    }

    expect(started).toBeLessThan(attempts);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.code === "rate_limited")).toBe(true);
    expect(errors[0]?.retryAfter).toBeGreaterThan(0);
    expect(await storedCallEntries(chatId)).toHaveLength(started);
  });

  it("counts rejected starts", async () => {
    const { chatId, anaSocket } = await pair();
    const live = await startCall(anaSocket, chatId);

    const codes: string[] = [];
    for (let i = 0; i < CALL_START_BURST + 2; i++) {
      const reply = await tryStart(anaSocket, chatId, newCallId());
      codes.push(reply.type === "error" ? reply.error.code : reply.state);
    }

    expect(codes).toContain("conflict");
    expect(codes).toContain("rate_limited");
    anaSocket.send({ type: "call.hangup", callId: live });
    await nextEnded(anaSocket, live);
    expect(await storedCallEntries(chatId)).toHaveLength(1);
  });
});

describe("call ids", () => {
  it("rejects the id of an older call", async () => {
    const { chatId, anaSocket } = await pair();
    const first = await startCall(anaSocket, chatId);
    anaSocket.send({ type: "call.hangup", callId: first });
    await nextEnded(anaSocket, first);
    const second = await startCall(anaSocket, chatId);
    anaSocket.send({ type: "call.hangup", callId: second });
    await nextEnded(anaSocket, second);

    const reply = await tryStart(anaSocket, chatId, first);

    if (reply.type !== "error") {
      throw new Error(`expected an error reply, got ${reply.type}`);
    }
    expect(reply.error.code).toBe("conflict");
    expect(reply.error.field).toBe("callId");
    const entries = await storedCallEntries(chatId);
    expect(entries.map((entry) => entry.callId)).toEqual([first, second]);
  });
});
