import type { StoredMessage } from "../../../protocol/index.ts";
import type { GroupDevice } from "../../../protocol/mls.ts";
import { HIDDEN_ORDER, MessengerDb } from "../../../pwa/src/data/db.ts";
import { EncryptionEngine } from "../../../pwa/src/e2ee/index.ts";
import { isEncrypted } from "../../../pwa/src/e2ee/incoming.ts";
import type { FakeRoom, FakeServer } from "./fake-server.ts";

let databases = 0;

/**
 * One signed-in device with its own database and engine. It reads a chat
 * log the way the sync engine does: in order, after its cursor.
 */
export class TestDevice implements GroupDevice {
  readonly db: MessengerDb;
  readonly cursors = new Map<string, number>();
  engine!: EncryptionEngine;

  constructor(
    readonly server: FakeServer,
    readonly userId: string,
    readonly deviceId = crypto.randomUUID(),
  ) {
    databases += 1;
    this.db = new MessengerDb(`e2ee-test-${databases}`);
  }

  /** Starts the engine and waits until the KeyPackages are published. */
  async start(): Promise<this> {
    this.engine = await EncryptionEngine.start({
      db: this.db,
      userId: this.userId,
      deviceId: this.deviceId,
      http: this.server.client(this),
      requestNewest: (chatId) => void this.sync(this.server.room(chatId)),
      restore: async (chatId, messages) => {
        await this.store(await this.engine.decrypt(chatId, messages));
        await this.engine.releasePlaintexts(messages);
      },
      chatReady: () => {},
    });
    await this.engine.publishKeys();
    return this;
  }

  /** Encrypts `text` and appends it to the room's log, as a send does. */
  async send(room: FakeRoom, text: string): Promise<StoredMessage> {
    const plaintext = JSON.stringify({ v: 1, text });
    const body = await this.engine.encrypt(room.chatId, plaintext);
    if (body === null) throw new Error(`chat ${room.chatId} is not ready`);
    const id = crypto.randomUUID();
    // The sending device keeps the plaintext in its own row.
    await this.store([{ ...outgoing(room, this, id, plaintext), seq: 0 }]);
    room.append({
      id,
      kind: "message",
      ref: null,
      senderId: this.userId,
      senderDeviceId: this.deviceId,
      body,
      deleted: false,
    });
    return room.log.at(-1)!;
  }

  /** Applies the room's log after this device's cursor. */
  async sync(room: FakeRoom): Promise<void> {
    const after = this.cursors.get(room.chatId) ?? 0;
    const messages = room.log.filter((message) => message.seq > after);
    if (messages.length === 0) return;
    this.cursors.set(room.chatId, messages.at(-1)!.seq);
    await this.deliver(room, messages);
  }

  async deliver(room: FakeRoom, messages: StoredMessage[]): Promise<void> {
    await this.store(await this.engine.decrypt(room.chatId, messages));
    await this.engine.releasePlaintexts(messages);
  }

  /** Returns the stored body of a message. */
  async body(id: string): Promise<string | undefined> {
    return (await this.db.messages.get(id))?.body;
  }

  /** Writes the rows the data layer would write, bodies as given. */
  private async store(messages: StoredMessage[]): Promise<void> {
    await this.db.messages.bulkPut(
      messages.map((message) => ({
        ...message,
        order: message.kind === "commit" ? HIDDEN_ORDER : message.seq,
        kind: message.kind === "commit" ? "commit" : "message",
        text: "",
        replyTo: null,
        media: null,
        editedAt: null,
        reactions: {},
        system: null,
        status: "sent",
        error: null,
        hidden: false,
      })),
    );
    const chatIds = new Set(messages.map((message) => message.chatId));
    for (const chatId of chatIds) {
      await this.db.chats.put({ id: chatId } as never);
    }
  }
}

function outgoing(
  room: FakeRoom,
  device: TestDevice,
  id: string,
  body: string,
): StoredMessage {
  return {
    id,
    chatId: room.chatId,
    seq: 0,
    kind: "message",
    ref: null,
    senderId: device.userId,
    senderDeviceId: device.deviceId,
    body,
    ts: 0,
    deleted: false,
  };
}

export { isEncrypted };
