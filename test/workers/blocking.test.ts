import { afterAll, describe, expect, it } from "vitest";
import type { ServerFrame } from "../../protocol/index.ts";
import { newCallId } from "./call-helpers.ts";
import {
  api,
  connect,
  newMessageId,
  openDirect,
  signUp,
  type TestSocket,
} from "./helpers.ts";

/** Wait before reading frames that must not arrive, in ms. */
const SETTLE_MS = 300;

const sockets: TestSocket[] = [];

afterAll(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Opens a socket, syncs it, and opens the direct chat on it. */
async function viewing(
  user: Awaited<ReturnType<typeof signUp>>,
  chatId: string,
): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  socket.send({ type: "sync", rid: "first", chats: [] });
  await socket.next("sync.done");
  socket.send({ type: "view", chatId, listed: [chatId] });
  return socket;
}

/** Frames of `type` that arrived on `socket` after SETTLE_MS. */
async function settled(
  socket: TestSocket,
  type: ServerFrame["type"],
): Promise<ServerFrame[]> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return socket.frames.filter((frame) => frame.type === type);
}

/** Removes and returns the first frame on `socket` that `match` accepts. */
async function firstFrame(
  socket: TestSocket,
  match: (frame: ServerFrame) => boolean,
): Promise<ServerFrame> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const index = socket.frames.findIndex(match);
    if (index >= 0) return socket.frames.splice(index, 1)[0]!;
    if (Date.now() > deadline) throw new Error("timed out waiting for a reply");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Sends a message from `socket` and returns its reply frame. */
async function trySend(socket: TestSocket, chatId: string) {
  const id = newMessageId();
  socket.send({
    type: "send",
    chatId,
    message: { id, kind: "message", body: "hi" },
  });
  const reply = await firstFrame(
    socket,
    (frame) =>
      (frame.type === "send.ok" || frame.type === "error") && frame.id === id,
  );
  return { id, reply };
}

/** Starts a call from `socket` and returns its reply frame. */
async function tryCall(socket: TestSocket, chatId: string) {
  const callId = newCallId();
  const rid = `call-${callId}`;
  socket.send({ type: "call.start", rid, callId, chatId, video: false });
  const reply = await firstFrame(
    socket,
    (frame) =>
      (frame.type === "call.state" && frame.call.callId === callId) ||
      (frame.type === "error" && frame.rid === rid),
  );
  return { callId, reply };
}

describe("blocking across features", () => {
  it("covers messages, calls and presence", { timeout: 60_000 }, async () => {
    const [ann, ben] = await Promise.all([signUp(), signUp()]);
    const chatId = await openDirect(ann, ben);
    const annSocket = await viewing(ann, chatId);
    const benSocket = await viewing(ben, chatId);
    const before = await benSocket.next(
      "presence",
      (frame) => frame.userId === ann.id,
    );
    expect(before.online).toBe(true);

    const blocked = await api("PUT", `/api/blocks/${ben.id}`, {
      cookie: ann.cookie,
    });
    expect(blocked.status).toBe(204);

    // Presence: Ann reads as offline to Ben, with no last seen.
    const hidden = await benSocket.next(
      "presence",
      (frame) => frame.userId === ann.id,
    );
    expect(hidden.online).toBe(false);
    expect(hidden.lastSeen).toBeNull();

    // Messages: Ben's send is rejected and never reaches Ann.
    const send = await trySend(benSocket, chatId);
    expect(send.reply.type).toBe("error");
    if (send.reply.type === "error") {
      expect(send.reply.error.code).toBe("forbidden");
      expect(send.reply.error.message).toBe("You can't message this person.");
    }

    // Calls: Ben's call is rejected and never rings Ann.
    const call = await tryCall(benSocket, chatId);
    expect(call.reply.type).toBe("error");
    if (call.reply.type === "error") {
      expect(call.reply.error.code).toBe("forbidden");
    }

    // Typing: Ann's typing does not reach Ben.
    annSocket.send({ type: "typing", chatId, state: "typing" });
    expect(await settled(benSocket, "typing")).toEqual([]);
    const reached = (await settled(annSocket, "message")).filter(
      (frame) => frame.type === "message" && frame.message.id === send.id,
    );
    expect(reached).toEqual([]);
    expect(await settled(annSocket, "call.incoming")).toEqual([]);

    const unblocked = await api("DELETE", `/api/blocks/${ben.id}`, {
      cookie: ann.cookie,
    });
    expect(unblocked.status).toBe(204);

    // Unblocking restores presence, messages, calls and typing.
    const shown = await benSocket.next(
      "presence",
      (frame) => frame.userId === ann.id,
    );
    expect(shown.online).toBe(true);

    const resend = await trySend(benSocket, chatId);
    expect(resend.reply.type).toBe("send.ok");
    const delivered = await annSocket.next(
      "message",
      (frame) => frame.message.id === resend.id,
    );
    expect(delivered.message.senderId).toBe(ben.id);

    const recall = await tryCall(benSocket, chatId);
    expect(recall.reply.type).toBe("call.state");
    const ring = await annSocket.next(
      "call.incoming",
      (frame) => frame.call.callId === recall.callId,
    );
    expect(ring.call.callId).toBe(recall.callId);
    benSocket.send({
      type: "call.hangup",
      rid: "hangup",
      callId: recall.callId,
      reason: "hangup",
    });

    annSocket.send({ type: "typing", chatId, state: "typing" });
    const typing = await benSocket.next(
      "typing",
      (frame) => frame.userId === ann.id,
    );
    expect(typing.state).toBe("typing");
  });
});
