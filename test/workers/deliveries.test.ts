import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { StoredMessage } from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import type { Inbox } from "../../durable-objects/user-hub/inbox.ts";
import {
  connect,
  newMessageId,
  openDirect,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

type Deliver = (messages: StoredMessage[]) => Promise<void>;

function hubStub(user: TestUser) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(user.id));
}

/**
 * Wraps the step of `user`'s hub that handles each `UserHub.deliver` call
 * from a room in `wrap(original, call)`, where `call` counts from 1. The
 * hub's own RPC method cannot be replaced: RPC rejects instance fields.
 * Returns the sizes of the batches the room sent, in call order.
 */
async function wrapDeliver(
  user: TestUser,
  wrap: (original: Deliver, call: number) => Deliver,
): Promise<number[]> {
  const sizes: number[] = [];
  await runInDurableObject(hubStub(user), (hub: UserHub) => {
    const { inbox } = hub as unknown as { inbox: Inbox };
    const original: Deliver = inbox.deliverFromRoom.bind(inbox);
    const deliverFromRoom: Deliver = async (messages) => {
      sizes.push(messages.length);
      await wrap(original, sizes.length)(messages);
    };
    Object.assign(inbox, { deliverFromRoom });
  });
  return sizes;
}

/** Sends `count` messages without waiting, then waits for every send.ok. */
async function sendBurst(
  socket: TestSocket,
  chatId: string,
  count: number,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newMessageId());
  ids.forEach((id, index) => {
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: `burst ${index}` },
    });
  });
  for (const id of ids) await socket.next("send.ok", (ok) => ok.id === id);
  return ids;
}

/** Takes `message` frames off `socket` up to the one with `lastId`. */
async function messagesUntil(
  socket: TestSocket,
  lastId: string,
): Promise<StoredMessage[]> {
  const received: StoredMessage[] = [];
  for (;;) {
    const frame = await socket.next("message");
    received.push(frame.message);
    if (frame.message.id === lastId) return received;
  }
}

async function inboxRow(user: TestUser, chatId: string) {
  return runInDurableObject(hubStub(user), (_hub, state) =>
    state.storage.sql
      .exec<{ last_seq: number; unread: number }>(
        "SELECT last_seq, unread FROM inbox WHERE chat_id = ?",
        chatId,
      )
      .one(),
  );
}

async function pair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  const anaSocket = await connect(ana);
  const benSocket = await connect(ben);
  sockets.push(anaSocket, benSocket);
  return { ana, ben, chatId, anaSocket, benSocket };
}

/** A promise with its resolve function, to hold a call until released. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("live delivery", () => {
  it("batches a burst in order", async () => {
    const { ben, chatId, anaSocket, benSocket } = await pair();
    const held = gate();
    // The first call waits until every send is stored, so the other
    // messages queue up behind it.
    const sizes = await wrapDeliver(ben, (original, call) => async (batch) => {
      if (call === 1) await held.opened;
      await original(batch);
    });

    const ids = await sendBurst(anaSocket, chatId, 10);
    held.open();
    const received = await messagesUntil(benSocket, ids[9] ?? "");

    expect(received.map((message) => message.id)).toEqual(ids);
    expect(received.map((message) => message.seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(sizes).toEqual([1, 9]);
    const row = await inboxRow(ben, chatId);
    expect(row.last_seq).toBe(10);
    expect(row.unread).toBe(10);
  });

  it("retries a failed batch without losing or repeating", async () => {
    const { ben, chatId, anaSocket, benSocket } = await pair();
    const held = gate();
    // Call 2 records the first 4 messages of its batch, then fails as if
    // the reply were lost, so the retry (call 3) repeats those 4.
    const sizes = await wrapDeliver(ben, (original, call) => async (batch) => {
      if (call === 1) await held.opened;
      if (call === 2) {
        await original(batch.slice(0, 4));
        throw new Error("delivery failed midway");
      }
      await original(batch);
    });

    const ids = await sendBurst(anaSocket, chatId, 10);
    held.open();
    // A later message leaves after the retried batch, so any repeat of the
    // batch would arrive before it.
    const [marker] = await sendBurst(anaSocket, chatId, 1);
    const received = await messagesUntil(benSocket, marker ?? "");

    expect(received.map((message) => message.id)).toEqual([...ids, marker]);
    expect(sizes.slice(0, 3)).toEqual([1, 9, 9]);
    const row = await inboxRow(ben, chatId);
    expect(row.last_seq).toBe(11);
    expect(row.unread).toBe(11);
  });

  it("keeps delivering after a batch fails every attempt", async () => {
    const { ben, chatId, anaSocket, benSocket } = await pair();
    const sizes = await wrapDeliver(ben, (original, call) => async (batch) => {
      if (call <= 3) throw new Error("hub unavailable");
      await original(batch);
    });

    const [lost] = await sendBurst(anaSocket, chatId, 1);
    const [next] = await sendBurst(anaSocket, chatId, 1);
    const received = await messagesUntil(benSocket, next ?? "");

    expect(received.map((message) => message.id)).not.toContain(lost);
    expect(received.map((message) => message.id)).toEqual([next]);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
  });
});
