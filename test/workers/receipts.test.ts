import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  createGroup,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(user: Parameters<typeof connect>[0]): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

describe("receipt routing", () => {
  it("reaches the authors a position moves past", async () => {
    const [ana, ben, cat] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cat]);
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const catSocket = await open(cat);

    const first = await sendText(anaSocket, chatId);
    catSocket.send({ type: "receipt", chatId, kind: "read", seq: first.seq });
    const toAna = await anaSocket.next(
      "receipt",
      (f) => f.userId === cat.id && f.readSeq === first.seq,
    );
    expect(toAna.deliveredSeq).toBe(first.seq);

    const second = await sendText(benSocket, chatId);
    catSocket.send({ type: "receipt", chatId, kind: "read", seq: second.seq });
    const toBen = await benSocket.next(
      "receipt",
      (f) => f.userId === cat.id && f.readSeq === second.seq,
    );
    expect(toBen.deliveredSeq).toBe(second.seq);
    // Cat's first read covered only Ana's message, so Ben never got it.
    const earlier = benSocket.frames.filter(
      (f) =>
        f.type === "receipt" && f.userId === cat.id && f.readSeq === first.seq,
    );
    expect(earlier).toEqual([]);
  });

  it("reaches the reader's own devices", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const anaSocket = await open(ana);
    const benPhone = await open(ben);
    const benLaptop = await open({ ...ben });
    const sent = await sendText(anaSocket, chatId);
    benPhone.send({ type: "receipt", chatId, kind: "read", seq: sent.seq });
    const own = await benLaptop.next("receipt", (f) => f.userId === ben.id);
    expect(own.readSeq).toBe(sent.seq);
    expect(own.deliveredSeq).toBe(sent.seq);
  });
});
