import { afterEach, describe, expect, it } from "vitest";
import { v7 as uuidv7 } from "uuid";
import { CALL_START_BURST, type ServerFrame } from "../../protocol/index.ts";
import { connect, createGroup, signUp, type TestSocket } from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

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

describe("group call start rate", () => {
  it("limits starts and leaves in a loop", async () => {
    const [ann, ben] = await Promise.all([signUp(), signUp()]);
    const chatId = await createGroup(ann, [ben], "Calls");
    const annSocket = await connect(ann);
    const benSocket = await connect(ben);
    sockets.push(annSocket, benSocket);
    const attempts = CALL_START_BURST + 3;
    const errors: { code: string; retryAfter?: number }[] = [];
    let started = 0;

    for (let i = 0; i < attempts; i++) {
      const callId = uuidv7();
      annSocket.send({ type: "groupcall.join", chatId, callId, video: false });
      const reply = await firstFrame(
        annSocket,
        (frame) =>
          (frame.type === "groupcall.state" && frame.call.callId === callId) ||
          (frame.type === "error" && frame.chatId === chatId),
      );
      if (reply.type === "error") {
        errors.push(reply.error);
        continue;
      }
      started += 1;
      annSocket.send({ type: "groupcall.leave", callId });
      await firstFrame(
        annSocket,
        (frame) => frame.type === "groupcall.ended" && frame.callId === callId,
      );
    }

    expect(started).toBe(CALL_START_BURST);
    expect(errors).toHaveLength(attempts - CALL_START_BURST);
    expect(errors.every((error) => error.code === "rate_limited")).toBe(true);
    expect(errors[0]?.retryAfter).toBeGreaterThan(0);
  });
});
