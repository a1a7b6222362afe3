import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TYPING_TTL_MS } from "../../protocol/index.ts";
import type { ChatRoom } from "../../durable-objects/ChatRoom.ts";
import {
  api,
  connect,
  createGroup,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

/** Waits `ms` and returns the queued typing frames without removing them. */
async function typingAfter(socket: TestSocket, ms = 300) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return socket.frames.filter((frame) => frame.type === "typing");
}

/** Sends `view` and waits until the hub handled it. */
async function view(socket: TestSocket, chatId: string | null, listed = []) {
  socket.send({ type: "view", chatId, listed });
  // Frames on one socket run in order, so a reply to a later frame means
  // the view was stored.
  socket.send({ type: "sync", rid: "after-view", chats: [] });
  await socket.next("sync.done", (frame) => frame.rid === "after-view");
}

async function trio() {
  const ana = await signUp();
  const ben = await signUp();
  const cleo = await signUp();
  const chatId = await createGroup(ana, [ben, cleo]);
  const sockets = {
    ana: await connect(ana),
    ben: await connect(ben),
    cleo: await connect(cleo),
  };
  return { ana, ben, cleo, chatId, sockets };
}

function closeAll(sockets: Record<string, TestSocket>) {
  for (const socket of Object.values(sockets)) socket.close();
}

describe("typing relay", () => {
  it("reaches only members who view the chat", async () => {
    const { ana, chatId, sockets } = await trio();
    await view(sockets.ben, chatId);
    const before = Date.now();
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    const frame = await sockets.ben.next("typing");
    expect(frame.chatId).toBe(chatId);
    expect(frame.userId).toBe(ana.id);
    expect(frame.state).toBe("typing");
    expect(frame.expiresAt).toBeGreaterThanOrEqual(before + TYPING_TTL_MS);
    expect(await typingAfter(sockets.cleo)).toEqual([]);
    // The typer's own devices get nothing back.
    expect(await typingAfter(sockets.ana, 0)).toEqual([]);
    // The room calls Ben's hub alone, not every member's.
    const room = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    const called = await runInDurableObject(room, (chatRoom: ChatRoom) =>
      chatRoom.typing(ana.id, "idle"),
    );
    expect(called).toEqual({ ok: true, value: 1 });
    closeAll(sockets);
  });

  it("reaches a member who lists the chat", async () => {
    const { chatId, sockets } = await trio();
    sockets.cleo.send({ type: "view", chatId: null, listed: [chatId] });
    await typingAfter(sockets.cleo, 200);
    sockets.ana.send({ type: "typing", chatId, state: "recording" });
    expect((await sockets.cleo.next("typing")).state).toBe("recording");
    closeAll(sockets);
  });

  it("drops fast repeats but not idle", async () => {
    const { chatId, sockets } = await trio();
    await view(sockets.ben, chatId);
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    sockets.ana.send({ type: "typing", chatId, state: "idle" });
    await sockets.ben.next("typing", (frame) => frame.state === "idle");
    const typing = await typingAfter(sockets.ben);
    expect(
      typing.map((frame) => frame.type === "typing" && frame.state),
    ).toEqual(["typing"]);
    closeAll(sockets);
  });

  it("is never stored in the message log", async () => {
    const { ana, chatId, sockets } = await trio();
    const room = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    const countRows = () =>
      runInDurableObject(room, (_room, state) =>
        state.storage.sql.exec("SELECT COUNT(*) AS n FROM message").one(),
      );
    const before = await countRows();
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    await typingAfter(sockets.ana, 300);
    expect(await countRows()).toEqual(before);
    const detail = await api("GET", `/api/chats/${chatId}`, {
      cookie: ana.cookie,
    });
    const body = await detail.json<{ chat: { lastSeq: number } }>();
    expect(body.chat.lastSeq).toBe(before.n);
    closeAll(sockets);
  });

  it("sends idle when the typer's socket closes", async () => {
    const { chatId, sockets } = await trio();
    await view(sockets.ben, chatId);
    sockets.ana.send({ type: "typing", chatId, state: "typing" });
    await sockets.ben.next("typing", (frame) => frame.state === "typing");
    sockets.ana.close();
    const idle = await sockets.ben.next("typing");
    expect(idle.state).toBe("idle");
    closeAll(sockets);
  });

  it("rejects typing in a chat one is not in", async () => {
    const { chatId, sockets } = await trio();
    const outsider = await signUp();
    const socket = await connect(outsider);
    socket.send({ type: "typing", chatId, state: "typing" });
    const error = await socket.next("error");
    expect(error.error.code).toBe("forbidden");
    expect(error.chatId).toBe(chatId);
    socket.close();
    closeAll(sockets);
  });

  it("is hidden from a person the typer blocked", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    await view(benSocket, chatId);
    await api("PUT", `/api/blocks/${ben.id}`, { cookie: ana.cookie });
    anaSocket.send({ type: "typing", chatId, state: "typing" });
    expect(await typingAfter(benSocket)).toEqual([]);
    // Ana can still write to Ben; only Ben's sends are rejected.
    await sendText(anaSocket, chatId, "still here");
    anaSocket.close();
    benSocket.close();
  });
});
