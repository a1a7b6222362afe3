import {
  abortAllDurableObjects,
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import type { ServerFrame, StoredMessage } from "../../protocol/index.ts";
import {
  connect,
  createGroup,
  newMessageId,
  sendText,
  signUp,
  upgrade,
  type TestUser,
} from "./helpers.ts";

/** Messages each member sends; the reset comes after RESET_AFTER acks. */
const PER_MEMBER = 24;
const RESET_AFTER = 8;
const PAGE = 100;
/** Max wait for one reply or for the stream to settle, in ms. */
const WAIT_MS = 20_000;

const clients: ModelClient[] = [];

afterAll(() => {
  for (const client of clients.splice(0)) client.stop();
});

/**
 * A client that acts as the app's sync engine does. It keeps one send in
 * flight and resends it with the same id after an error or a dropped
 * socket. It stores messages by sequence, requests `history` after its
 * cursor when a live message skips a sequence, and sends `sync` from the
 * cursor on every new socket.
 */
class ModelClient {
  /** Messages by sequence, as the device stores them. */
  readonly bySeq = new Map<number, StoredMessage>();
  /** How often each message id arrived in a `message` frame. */
  readonly liveCopies = new Map<string, number>();
  readonly acked: string[] = [];
  cursor = 0;
  reconnects = 0;
  private ws: WebSocket | null = null;
  private stopped = false;
  private filling = false;
  private waiters: Array<() => void> = [];
  private pendingId: string | null = null;
  private pendingResult: "ok" | "retry" | null = null;
  /** The `afterSeq` of each page request by its rid. */
  private readonly pageAfter = new Map<string, number>();

  constructor(
    readonly user: TestUser,
    readonly chatId: string,
  ) {}

  async start(): Promise<void> {
    const response = await upgrade(this.user.cookie);
    const ws = response.webSocket;
    if (response.status !== 101 || ws === null) {
      throw new Error(`upgrade failed with ${response.status}`);
    }
    ws.accept();
    this.ws = ws;
    ws.addEventListener("message", (event) => {
      this.onFrame(JSON.parse(String(event.data)) as ServerFrame);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.filling = false;
      if (this.pendingId !== null) this.pendingResult = "retry";
      this.wake();
    });
    const rid = `sync-${this.reconnects}`;
    this.pageAfter.set(rid, this.cursor);
    this.sendFrame({
      type: "sync",
      rid,
      chats: [{ chatId: this.chatId, afterSeq: this.cursor }],
    });
  }

  stop(): void {
    this.stopped = true;
    try {
      this.ws?.close(1000, "test done");
    } catch {
      // Already closed by the server.
    }
  }

  /** Sends `count` messages one after the other, each until acked. */
  async sendAll(count: number, label: string): Promise<void> {
    for (let n = 0; n < count; n += 1) {
      const id = newMessageId();
      this.pendingId = id;
      for (;;) {
        this.pendingResult = null;
        if (this.ws === null) await this.reconnect();
        this.sendFrame({
          type: "send",
          chatId: this.chatId,
          message: { id, kind: "message", body: `${label} ${n}` },
        });
        await this.until(() => this.pendingResult !== null);
        if (this.pendingResult === "ok") break;
      }
      this.pendingId = null;
      this.acked.push(id);
    }
  }

  /** Waits until `test` holds, reconnecting after a dropped socket. */
  async until(test: () => boolean): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!test()) {
      if (this.ws === null && this.pendingId === null) await this.reconnect();
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.user.id}: timed out waiting for frames`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    this.reconnects += 1;
    await this.start();
  }

  private sendFrame(frame: unknown): void {
    this.ws?.send(JSON.stringify(frame));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case "message":
        if (frame.message.chatId !== this.chatId) break;
        this.liveCopies.set(
          frame.message.id,
          (this.liveCopies.get(frame.message.id) ?? 0) + 1,
        );
        this.store([frame.message]);
        break;
      case "messages":
        if (frame.chatId !== this.chatId) break;
        this.store(frame.messages, this.pageAfter.get(frame.rid ?? ""));
        if (frame.rid?.startsWith("fill") === true) {
          this.filling = false;
          if (frame.hasMore) this.fillGap();
        }
        break;
      case "send.ok":
        if (frame.id === this.pendingId) this.pendingResult = "ok";
        break;
      case "error":
        if (frame.id !== undefined && frame.id === this.pendingId) {
          this.pendingResult = "retry";
        }
        if (frame.rid?.startsWith("fill") === true) this.filling = false;
        break;
      default:
        break;
    }
    this.wake();
  }

  seed(messages: StoredMessage[]): void {
    this.store(messages, 0);
  }

  /**
   * Stores messages and moves the cursor over consecutive sequences. A
   * page of everything after `pageAfter`, when that is at or below the
   * cursor, moves the cursor to its end, as the app's cursorAfterPage does.
   */
  private store(messages: StoredMessage[], pageAfter?: number): void {
    for (const message of messages) this.bySeq.set(message.seq, message);
    const last = messages.at(-1)?.seq;
    if (pageAfter !== undefined && pageAfter <= this.cursor && last) {
      this.cursor = Math.max(this.cursor, last);
    }
    while (this.bySeq.has(this.cursor + 1)) this.cursor += 1;
    if ([...this.bySeq.keys()].some((seq) => seq > this.cursor)) {
      this.fillGap();
    }
  }

  private fillGap(): void {
    if (this.filling || this.ws === null) return;
    this.filling = true;
    const rid = `fill-${this.cursor}`;
    this.pageAfter.set(rid, this.cursor);
    this.sendFrame({
      type: "history",
      rid,
      chatId: this.chatId,
      afterSeq: this.cursor,
      limit: PAGE,
    });
  }
}

/** Signs up three members of one group, each with a connected client. */
async function groupOfThree(): Promise<ModelClient[]> {
  const [ann, ben, cai] = await Promise.all([signUp(), signUp(), signUp()]);
  const chatId = await createGroup(ann, [ben, cai], "Reset");
  const members = [ann, ben, cai].map((u) => new ModelClient(u, chatId));
  clients.push(...members);
  // Each device starts with the log so far, as a device that synced.
  const room = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
  for (const client of members) {
    const page = await room.history(client.user.id, { afterSeq: 0 }, PAGE);
    if (!page.ok) throw new Error(page.error.message);
    client.seed(page.value.messages);
  }
  await Promise.all(members.map((client) => client.start()));
  return members;
}

/**
 * Checks that every client contains every acked message once, in one
 * gap-free sequence, in each sender's order.
 */
async function expectComplete(members: ModelClient[]): Promise<void> {
  const sent = members.flatMap((client) => client.acked);
  expect(new Set(sent).size).toBe(sent.length);
  for (const client of members) {
    await client.until(() => sent.every((id) => hasId(client, id)));
    const seqs = [...client.bySeq.keys()].sort((a, b) => a - b);
    const first = seqs[0] ?? 0;
    expect(seqs, `gap at ${client.user.id}`).toEqual(
      seqs.map((_, index) => first + index),
    );
    expect(client.cursor).toBe(seqs.at(-1));
    const ids = seqs.map((seq) => client.bySeq.get(seq)!.id);
    expect(new Set(ids).size, `duplicate ids`).toBe(ids.length);
    for (const sender of members) {
      const order = ids.filter((id) => sender.acked.includes(id));
      expect(order, `order of ${sender.user.id}`).toEqual(sender.acked);
    }
    const repeated = [...client.liveCopies].filter(([, n]) => n > 1);
    expect(repeated, `live copies at ${client.user.id}`).toEqual([]);
  }
}

function hasId(client: ModelClient, id: string): boolean {
  for (const message of client.bySeq.values()) {
    if (message.id === id) return true;
  }
  return false;
}

describe("room reset mid-stream", () => {
  it(
    "delivers each message once after the room aborts",
    { timeout: 120_000 },
    async () => {
      const members = await groupOfThree();
      const chatId = members[0]!.chatId;
      const room = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
      const streams = members.map((client, index) =>
        client.sendAll(PER_MEMBER, `member ${index}`),
      );
      await members[0]!.until(() => members[0]!.acked.length >= RESET_AFTER);
      await runInDurableObject(room, (_room, state) => {
        state.abort("reset in test");
      }).catch(() => undefined);
      await Promise.all(streams);
      await expectComplete(members);
    },
  );

  it(
    "resumes every client after every object aborts",
    { timeout: 120_000 },
    async () => {
      const members = await groupOfThree();
      const streams = members.map((client, index) =>
        client.sendAll(PER_MEMBER, `member ${index}`),
      );
      await members[0]!.until(() => members[0]!.acked.length >= RESET_AFTER);
      await abortAllDurableObjects();
      await Promise.all(streams);
      await expectComplete(members);
      const reconnects = members.map((client) => client.reconnects);
      expect(reconnects.every((n) => n > 0)).toBe(true);
    },
  );

  it(
    "delivers a stored message after the room restarts",
    { timeout: 60_000 },
    async () => {
      const [ann, ben] = await Promise.all([signUp(), signUp()]);
      const chatId = await createGroup(ann, [ben], "Restart");
      const socket = await connect(ben);
      const annSocket = await connect(ann);
      clients.push({ stop: () => socket.close() } as ModelClient);
      clients.push({ stop: () => annSocket.close() } as ModelClient);
      socket.send({ type: "sync", rid: "s", chats: [] });
      await socket.next("sync.done");
      // A delivered message, which also sets the room's alarm.
      const first = await sendText(annSocket, chatId, "before the reset");
      await socket.next("message", (f) => f.message.id === first.id);
      const id = newMessageId();
      const roomId = env.CHAT_ROOM.idFromName(chatId);
      // The room stores a message and resets before it calls any hub,
      // which is what a reset between the insert and the fan-out does.
      const room = env.CHAT_ROOM.get(roomId);
      await runInDurableObject(room, (_room, state) => {
        state.storage.sql.exec(
          `INSERT INTO message (id, kind, sender_id, sender_device_id, body, ts)
           VALUES (?, 'message', ?, ?, 'stored before the reset', ?)`,
          id,
          ann.id,
          ann.deviceId,
          Date.now(),
        );
      });
      await runInDurableObject(room, (_room, state) => {
        state.abort("reset in test");
      }).catch(() => undefined);
      // No request reaches the room again, so only its alarm starts it.
      const ran = await runDurableObjectAlarm(env.CHAT_ROOM.get(roomId));
      expect(ran).toBe(true);
      const frame = await socket.next("message", (f) => f.message.id === id);
      expect(frame.message.body).toBe("stored before the reset");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const copies = socket.frames.filter((f) => f.type === "message");
      expect(copies).toEqual([]);
    },
  );
});
