import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  newMessageId,
  openDirect,
  signUp,
  type TestSocket,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

function roomStub(chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

function text(id: string, body: string) {
  return { id, kind: "message" as const, body };
}

describe("ChatRoom.sendBatch", () => {
  it("returns one result per send in order", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const [first, second] = [newMessageId(), newMessageId()];
    const sends = [
      { deviceId: ana.deviceId, message: text(first, "one") },
      {
        deviceId: ana.deviceId,
        message: {
          id: newMessageId(),
          kind: "reaction" as const,
          ref: newMessageId(),
          body: "+1",
        },
      },
      { deviceId: ana.deviceId, message: text(second, "two") },
      { deviceId: ana.deviceId, message: text(first, "one again") },
    ];

    const results = await roomStub(chatId).sendBatch(ana.id, sends);

    expect(results).toHaveLength(4);
    const [one, reaction, two, resend] = results;
    expect(one).toMatchObject({ ok: true, value: { seq: 1 } });
    expect(reaction).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(two).toMatchObject({ ok: true, value: { seq: 2 } });
    expect(resend).toMatchObject({ ok: true, value: { seq: 1, stored: null } });
  });

  it("rejects a sender who is not a member", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);

    const results = await roomStub(chatId).sendBatch(cleo.id, [
      { deviceId: cleo.deviceId, message: text(newMessageId(), "hi") },
    ]);

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      ok: false,
      error: { code: "forbidden" },
    });
  });
});

describe("socket send burst", () => {
  it("stores every message once in order", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    sockets.push(anaSocket, benSocket);
    const ids = Array.from({ length: 20 }, () => newMessageId());
    // Every id twice in a row, as a client resending at once would.
    for (const id of ids.flatMap((id) => [id, id])) {
      anaSocket.send({ type: "send", chatId, message: text(id, "burst") });
    }

    const seqs = [];
    for (const id of ids.flatMap((id) => [id, id])) {
      const ok = await anaSocket.next("send.ok", (frame) => frame.id === id);
      seqs.push(ok.seq);
    }
    const received = [];
    for (const id of ids) {
      const frame = await benSocket.next("message");
      expect(frame.message.id).toBe(id);
      received.push(frame.message.seq);
    }

    const expected = ids.map((_, index) => index + 1);
    expect(seqs).toEqual(expected.flatMap((seq) => [seq, seq]));
    expect(received).toEqual(expected);
    expect(benSocket.frames.filter((f) => f.type === "message")).toEqual([]);
  });
});
