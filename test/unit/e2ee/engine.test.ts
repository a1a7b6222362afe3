import { describe, expect, it, vi } from "vitest";
import { NOTICE_TEXT, decodeMessage } from "../../../pwa/src/data/codec.ts";
import { FakeServer, type FakeRoom } from "./fake-server.ts";
import { TestDevice, isEncrypted } from "./devices.ts";

const text = (body: string | undefined) => decodeMessage(body ?? "").text;

/** Makes a chat of the given devices' people, every device active. */
function chat(server: FakeServer, devices: TestDevice[]): FakeRoom {
  const room = server.room(`g_${crypto.randomUUID()}`);
  room.devices.push(
    ...devices.map(({ userId, deviceId }) => ({ userId, deviceId })),
  );
  return room;
}

/**
 * Hides the device's waiting Welcome from the server's replies, as when
 * the server could not be reached while the device tried to join.
 */
function withoutWelcome(room: FakeRoom, device: TestDevice) {
  const key = `${device.userId}.${device.deviceId}`;
  const welcome = room.welcomes.get(key)!;
  room.welcomes.delete(key);
  return { restore: () => room.welcomes.set(key, welcome) };
}

async function people(server: FakeServer, count: number) {
  const devices = [];
  for (let i = 0; i < count; i++) {
    devices.push(await new TestDevice(server, crypto.randomUUID()).start());
  }
  return devices;
}

describe("encryption engine", () => {
  it("publishes a full stock of KeyPackages", async () => {
    const server = new FakeServer();
    const [ana] = await people(server, 1);
    expect(server.stock.get(`${ana!.userId}.${ana!.deviceId}`)).toHaveLength(
      100,
    );
    expect(server.lastResort.has(`${ana!.userId}.${ana!.deviceId}`)).toBe(true);
  });

  it("first send creates the group and adds peers", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);

    const sent = await ana!.send(room, "Hello");

    expect(room.epoch).toBe(1);
    const commit = JSON.parse(room.log[0]!.body) as { added: unknown[] };
    expect(commit.added).toEqual([
      { userId: ben!.userId, deviceId: ben!.deviceId },
    ]);
    expect(isEncrypted(sent.body)).toBe(true);
    expect(sent.body).not.toContain("Hello");
  });

  it("joiner joins from Welcome and decrypts", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    const sent = await ana!.send(room, "Hello Ben");

    await ben!.sync(room);

    expect(text(await ben!.body(sent.id))).toBe("Hello Ben");
    const reply = await ben!.send(room, "Hi Ana");
    await ana!.sync(room);
    expect(text(await ana!.body(reply.id))).toBe("Hi Ana");
  });

  it("own echo keeps plaintext", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    const sent = await ana!.send(room, "Mine");

    await ana!.sync(room);

    expect(await ana!.body(sent.id)).toBe(
      JSON.stringify({ v: 1, text: "Mine" }),
    );
  });

  it("retries a commit that lost with stale_epoch", async () => {
    const server = new FakeServer();
    const [ana, ben, cleo] = await people(server, 3);
    const room = chat(server, [ana!, ben!]);
    await ana!.send(room, "First");
    await ben!.sync(room);
    // Cleo joins the chat, and Ben's commit adding her wins the epoch.
    room.devices.push({ userId: cleo!.userId, deviceId: cleo!.deviceId });
    ana!.engine.invalidate(room.chatId);
    ben!.engine.invalidate(room.chatId);
    room.beforeNextCommit = async () => {
      await ben!.send(room, "Ben first");
    };

    const sent = await ana!.send(room, "After the race");

    expect(room.epoch).toBe(2);
    const commits = room.log.filter((message) => message.kind === "commit");
    expect(commits).toHaveLength(2);
    await cleo!.sync(room);
    expect(text(await cleo!.body(sent.id))).toBe("After the race");
  });

  it("keeps a message from a later epoch until its commit", async () => {
    const server = new FakeServer();
    const [ana, ben, cleo] = await people(server, 3);
    const room = chat(server, [ana!, ben!]);
    await ana!.send(room, "First");
    await ben!.sync(room);
    room.devices.push({ userId: cleo!.userId, deviceId: cleo!.deviceId });
    ana!.engine.invalidate(room.chatId);
    const later = await ana!.send(room, "Second epoch");
    const commit = room.log.at(-2)!;
    expect(commit.kind).toBe("commit");

    await ben!.deliver(room, [later]);
    expect(isEncrypted((await ben!.body(later.id))!)).toBe(true);
    expect(text(await ben!.body(later.id))).toBe(NOTICE_TEXT.waiting);

    await ben!.deliver(room, [commit]);
    await expect
      .poll(async () => text(await ben!.body(later.id)))
      .toBe("Second epoch");
  });

  it("marks messages from before the join", async () => {
    const server = new FakeServer();
    const [ana, ben, cleo] = await people(server, 3);
    const room = chat(server, [ana!, ben!]);
    const early = await ana!.send(room, "Before Cleo");
    room.devices.push({ userId: cleo!.userId, deviceId: cleo!.deviceId });
    ana!.engine.invalidate(room.chatId);
    const late = await ana!.send(room, "After Cleo");

    await cleo!.sync(room);

    expect(text(await cleo!.body(early.id))).toBe(NOTICE_TEXT.before_join);
    expect(text(await cleo!.body(late.id))).toBe("After Cleo");
  });

  it("marks a damaged body undecryptable", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    await ana!.send(room, "Hello");
    await ben!.sync(room);
    room.append({
      id: crypto.randomUUID(),
      kind: "message",
      ref: null,
      senderId: ana!.userId,
      senderDeviceId: ana!.deviceId,
      body: "mls1:AAAA",
      deleted: false,
    });

    await ben!.sync(room);

    const damaged = room.log.at(-1)!;
    expect(text(await ben!.body(damaged.id))).toBe(NOTICE_TEXT.undecryptable);
  });

  it("waits to join when no Welcome exists", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!]);
    await ana!.send(room, "Alone");
    room.devices.push({ userId: ben!.userId, deviceId: ben!.deviceId });

    expect(await ben!.engine.encrypt(room.chatId, "{}")).toBeNull();

    expect(room.addRequests).toEqual([
      {
        device: { userId: ben!.userId, deviceId: ben!.deviceId },
        reset: false,
      },
    ]);
  });

  it("waits out a rate-limited claim", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    server.claimRetryAfter = 60;
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      expect(await ana!.engine.encrypt(room.chatId, "{}")).toBeNull();
      expect(server.claims).toBe(1);
      // No claim goes out before the server's retryAfter ends.
      vi.setSystemTime(Date.now() + 59_000);
      expect(await ana!.engine.encrypt(room.chatId, "{}")).toBeNull();
      expect(server.claims).toBe(1);

      server.claimRetryAfter = null;
      vi.setSystemTime(Date.now() + 1_000);
      const sent = await ana!.send(room, "After the wait");
      expect(server.claims).toBe(2);
      expect(room.epoch).toBe(1);
      await ben!.sync(room);
      expect(text(await ben!.body(sent.id))).toBe("After the wait");
    } finally {
      vi.useRealTimers();
    }
  });

  it("reads a held body after joining for a send", async () => {
    const server = new FakeServer();
    const [ana, cleo] = await people(server, 2);
    const room = chat(server, [ana!, cleo!]);
    const first = await ana!.send(room, "Hello");
    const welcome = withoutWelcome(room, cleo!);
    await cleo!.sync(room);
    expect(isEncrypted((await cleo!.body(first.id))!)).toBe(true);

    welcome.restore();
    await cleo!.send(room, "Hi");

    await vi.waitFor(async () => {
      expect(text(await cleo!.body(first.id))).toBe("Hello");
    });
  });

  it("reads a held body after a later message joins", async () => {
    const server = new FakeServer();
    const [ana, cleo] = await people(server, 2);
    const room = chat(server, [ana!, cleo!]);
    const first = await ana!.send(room, "First");
    const welcome = withoutWelcome(room, cleo!);
    await cleo!.sync(room);
    expect(isEncrypted((await cleo!.body(first.id))!)).toBe(true);

    welcome.restore();
    const second = await ana!.send(room, "Second");
    await cleo!.sync(room);

    expect(text(await cleo!.body(second.id))).toBe("Second");
    await vi.waitFor(async () => {
      expect(text(await cleo!.body(first.id))).toBe("First");
    });
  });

  it("reads a body again after a reload", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    await ana!.send(room, "Joins Ben");
    await ben!.sync(room);
    const sent = await ana!.send(room, "Survives a reload");
    // The old page decrypts, then closes before writing the rows.
    await ben!.engine.decrypt(room.chatId, [sent]);
    expect(await ben!.body(sent.id)).toBeUndefined();
    await ben!.start();

    await ben!.sync(room);

    expect(text(await ben!.body(sent.id))).toBe("Survives a reload");
    const kept = await ben!.db.kv.where("key").startsWith("mls.plain.").count();
    expect(kept).toBe(0);
  });

  it("keeps plain bodies of older clients", async () => {
    const server = new FakeServer();
    const [ana, ben] = await people(server, 2);
    const room = chat(server, [ana!, ben!]);
    const plain = JSON.stringify({ v: 1, text: "From an old app" });
    room.append({
      id: crypto.randomUUID(),
      kind: "message",
      ref: null,
      senderId: ana!.userId,
      senderDeviceId: ana!.deviceId,
      body: plain,
      deleted: false,
    });

    await ben!.sync(room);

    expect(await ben!.body(room.log[0]!.id)).toBe(plain);
  });
});
