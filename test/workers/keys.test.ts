import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR,
  KEY_PACKAGE_CLAIMS_PER_HOUR,
  KEY_PACKAGE_LOW_WATER,
  KEY_PACKAGE_STOCK,
  MAX_KEY_PACKAGE_CHARS,
  type ClaimReply,
  type GroupDevice,
  type KeysStatus,
} from "../../protocol/index.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  openDirect,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Makes a distinct base64url string to use as a fake KeyPackage. */
function fakeKeyPackage(): string {
  return `kp${crypto.randomUUID().replaceAll("-", "_")}`;
}

function fakeKeyPackages(count: number): string[] {
  return Array.from({ length: count }, fakeKeyPackage);
}

async function publish(user: TestUser, body: unknown): Promise<Response> {
  return api("POST", "/api/keys", { cookie: user.cookie, body });
}

async function status(user: TestUser): Promise<KeysStatus> {
  return json<KeysStatus>(
    await api("GET", "/api/keys", { cookie: user.cookie }),
  );
}

async function claimRequest(
  caller: TestUser,
  chatId: string,
  devices: GroupDevice[],
): Promise<Response> {
  return api("POST", `/api/chats/${chatId}/mls/claim`, {
    cookie: caller.cookie,
    body: { devices },
  });
}

/** Claims and returns the reply, failing the test on an error status. */
async function claim(
  caller: TestUser,
  chatId: string,
  devices: TestUser[],
): Promise<ClaimReply> {
  const response = await claimRequest(caller, chatId, devices.map(device));
  expect(response.status).toBe(200);
  return json<ClaimReply>(response);
}

function device(user: TestUser): GroupDevice {
  return { userId: user.id, deviceId: user.deviceId };
}

/** Returns the KeyPackage of a claim for one device, or null. */
function only(reply: ClaimReply): string | null {
  return reply.keyPackages[0]?.keyPackage ?? null;
}

/** Counts the rows of a device in both KeyPackage tables of its hub. */
async function storedRows(user: TestUser): Promise<number> {
  const stub = env.USER_HUB.get(env.USER_HUB.idFromName(user.id));
  return runInDurableObject(stub, (_hub, state) => {
    const sql = state.storage.sql;
    const count = (table: string) =>
      sql
        .exec<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${table} WHERE device_id = ?`,
          user.deviceId,
        )
        .one().n;
    return count("key_package") + count("last_resort_key_package");
  });
}

/**
 * Makes a round trip on `socket`. Frames on one socket arrive in order,
 * so every frame the server sent before the reply is queued afterwards.
 */
async function roundTrip(socket: TestSocket): Promise<void> {
  const rid = crypto.randomUUID();
  socket.send({ type: "sync", rid, chats: [] });
  await socket.next("sync.done", (frame) => frame.rid === rid);
}

function keysLowFrames(socket: TestSocket) {
  return socket.frames.filter((frame) => frame.type === "keys.low");
}

describe("publishing KeyPackages", () => {
  it("starts with an empty stock", async () => {
    const ana = await signUp();
    expect(await status(ana)).toEqual({ stock: 0, lastResort: false });
  });

  it("adds to the stock and sets the last resort", async () => {
    const ana = await signUp();
    const response = await publish(ana, {
      keyPackages: fakeKeyPackages(3),
      lastResort: fakeKeyPackage(),
    });
    expect(response.status).toBe(200);
    expect(await json<KeysStatus>(response)).toEqual({
      stock: 3,
      lastResort: true,
    });
    await publish(ana, { keyPackages: fakeKeyPackages(2) });
    expect(await status(ana)).toEqual({ stock: 5, lastResort: true });
  });

  it("keeps one stock per device", async () => {
    const laptop = await signUp();
    const phone = await signUp(laptop.phone, "Phone");
    await publish(laptop, { keyPackages: fakeKeyPackages(4) });
    expect(await status(phone)).toEqual({ stock: 0, lastResort: false });
    expect((await status(laptop)).stock).toBe(4);
  });

  it("stores a repeated KeyPackage once", async () => {
    const ana = await signUp();
    const [a, b, c] = fakeKeyPackages(3);
    const first = await publish(ana, { keyPackages: [a, a, b] });
    expect((await json<KeysStatus>(first)).stock).toBe(2);
    const second = await publish(ana, { keyPackages: [a, c] });
    expect((await json<KeysStatus>(second)).stock).toBe(3);
  });

  it("accepts a last resort alone", async () => {
    const ana = await signUp();
    const response = await publish(ana, {
      keyPackages: [],
      lastResort: fakeKeyPackage(),
    });
    expect(await json<KeysStatus>(response)).toEqual({
      stock: 0,
      lastResort: true,
    });
  });

  it("accepts a full stock of the longest KeyPackages", async () => {
    const ana = await signUp();
    const longest = Array.from({ length: KEY_PACKAGE_STOCK }, (_, i) =>
      `${i}_`.padEnd(MAX_KEY_PACKAGE_CHARS, "A"),
    );
    const response = await publish(ana, {
      keyPackages: longest,
      lastResort: "B".repeat(MAX_KEY_PACKAGE_CHARS),
    });
    expect(response.status).toBe(200);
    expect((await json<KeysStatus>(response)).stock).toBe(KEY_PACKAGE_STOCK);
  });

  it("rejects a publish over the stock limit whole", async () => {
    const ana = await signUp();
    await publish(ana, { keyPackages: fakeKeyPackages(KEY_PACKAGE_STOCK - 5) });
    const response = await publish(ana, {
      keyPackages: fakeKeyPackages(6),
      lastResort: fakeKeyPackage(),
    });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error.code).toBe("too_large");
    expect(error.field).toBe("keyPackages");
    expect(error.message).toContain("Publish at most 5.");
    expect(await status(ana)).toEqual({
      stock: KEY_PACKAGE_STOCK - 5,
      lastResort: false,
    });
  });

  it("replaces the stock and last resort", async () => {
    const ana = await signUp();
    await publish(ana, {
      keyPackages: fakeKeyPackages(KEY_PACKAGE_STOCK),
      lastResort: fakeKeyPackage(),
    });
    const fresh = fakeKeyPackages(2);
    const response = await publish(ana, { keyPackages: fresh, replace: true });
    expect(response.status).toBe(200);
    expect(await json<KeysStatus>(response)).toEqual({
      stock: 2,
      lastResort: false,
    });
    expect(await storedRows(ana)).toBe(2);
  });

  it("counts only new KeyPackages against the limit", async () => {
    const ana = await signUp();
    const stored = fakeKeyPackages(KEY_PACKAGE_STOCK);
    await publish(ana, { keyPackages: stored });
    const again = await publish(ana, { keyPackages: stored.slice(0, 10) });
    expect(again.status).toBe(200);
    expect((await json<KeysStatus>(again)).stock).toBe(KEY_PACKAGE_STOCK);
  });

  const tooLong = "A".repeat(MAX_KEY_PACKAGE_CHARS + 1);
  const invalidBodies: {
    name: string;
    body: unknown;
    status: number;
    code: string;
    field: string | undefined;
  }[] = [
    {
      name: "padding",
      body: { keyPackages: ["abc="] },
      status: 400,
      code: "invalid_request",
      field: "keyPackages.0",
    },
    {
      name: "standard base64",
      body: { keyPackages: [fakeKeyPackage(), "ab+/"] },
      status: 400,
      code: "invalid_request",
      field: "keyPackages.1",
    },
    {
      name: "an empty KeyPackage",
      body: { keyPackages: [""] },
      status: 400,
      code: "invalid_request",
      field: "keyPackages.0",
    },
    {
      name: "a KeyPackage too long",
      body: { keyPackages: [tooLong] },
      status: 413,
      code: "too_large",
      field: "keyPackages.0",
    },
    {
      name: "too many KeyPackages",
      body: { keyPackages: fakeKeyPackages(KEY_PACKAGE_STOCK + 1) },
      status: 413,
      code: "too_large",
      field: "keyPackages",
    },
    {
      name: "an invalid last resort",
      body: { keyPackages: [], lastResort: "a b" },
      status: 400,
      code: "invalid_request",
      field: "lastResort",
    },
    {
      name: "no KeyPackage at all",
      body: { keyPackages: [] },
      status: 400,
      code: "invalid_request",
      field: "keyPackages",
    },
    {
      name: "an empty object",
      body: {},
      status: 400,
      code: "invalid_request",
      field: "keyPackages",
    },
    {
      name: "a body that is not JSON",
      body: "not json",
      status: 400,
      code: "invalid_request",
      field: undefined,
    },
  ];

  for (const { name, body, status: expected, code, field } of invalidBodies) {
    it(`rejects ${name}`, async () => {
      const ana = await signUp();
      const response = await publish(ana, body);
      expect(response.status).toBe(expected);
      const error = await errorOf(response);
      expect(error.code).toBe(code);
      expect(error.field).toBe(field);
      expect(await status(ana)).toEqual({ stock: 0, lastResort: false });
    });
  }

  it("needs a session", async () => {
    const publishResponse = await api("POST", "/api/keys", {
      body: { keyPackages: [fakeKeyPackage()] },
    });
    expect(publishResponse.status).toBe(401);
    expect((await api("GET", "/api/keys")).status).toBe(401);
  });
});

describe("claiming KeyPackages", () => {
  it("hands out each KeyPackage once, oldest first", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const published = fakeKeyPackages(3);
    await publish(ben, { keyPackages: published });
    const claimed = [];
    for (let i = 0; i < 3; i += 1) {
      claimed.push(only(await claim(ana, chatId, [ben])));
    }
    expect(claimed).toEqual(published);
    const empty = await claim(ana, chatId, [ben]);
    expect(empty.keyPackages).toEqual([]);
    expect(empty.unavailable).toEqual([device(ben)]);
    expect(await status(ben)).toEqual({ stock: 0, lastResort: false });
  });

  it("never gives concurrent claims the same KeyPackage", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const published = fakeKeyPackages(12);
    await publish(ben, { keyPackages: published });
    const replies = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        claim(i % 2 === 0 ? ana : ben, chatId, [ben]),
      ),
    );
    const claimed = replies.map(only).filter((kp) => kp !== null);
    expect(claimed).toHaveLength(12);
    expect(new Set(claimed).size).toBe(12);
    expect(new Set(claimed)).toEqual(new Set(published));
    const unavailable = replies.filter((r) => r.unavailable.length === 1);
    expect(unavailable).toHaveLength(4);
  });

  it("returns the last resort and keeps it", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const [stocked, lastResort] = fakeKeyPackages(2);
    await publish(ben, { keyPackages: [stocked], lastResort });
    expect(only(await claim(ana, chatId, [ben]))).toBe(stocked);
    expect(only(await claim(ana, chatId, [ben]))).toBe(lastResort);
    expect(only(await claim(ana, chatId, [ben]))).toBe(lastResort);
    expect(await status(ben)).toEqual({ stock: 0, lastResort: true });
  });

  it("hands out the newest last resort", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const [older, newer] = fakeKeyPackages(2);
    await publish(ben, { keyPackages: [], lastResort: older });
    await publish(ben, { keyPackages: [], lastResort: newer });
    expect(only(await claim(ana, chatId, [ben]))).toBe(newer);
  });

  it("claims devices of several members in one call", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const benPhone = await signUp(ben.phone, "Phone");
    const chatId = await createGroup(ana, [ben, cleo]);
    const [benKey, phoneKey, cleoKey] = fakeKeyPackages(3);
    await publish(ben, { keyPackages: [benKey] });
    await publish(benPhone, { keyPackages: [phoneKey] });
    await publish(cleo, { keyPackages: [cleoKey] });
    const reply = await claim(ana, chatId, [ben, cleo, benPhone, ana]);
    expect(reply.keyPackages).toEqual([
      { ...device(ben), keyPackage: benKey },
      { ...device(cleo), keyPackage: cleoKey },
      { ...device(benPhone), keyPackage: phoneKey },
    ]);
    expect(reply.unavailable).toEqual([device(ana)]);
  });

  it("claims a device named twice once", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    await publish(ben, { keyPackages: fakeKeyPackages(2) });
    const reply = await claim(ana, chatId, [ben, ben]);
    expect(reply.keyPackages.map((claimed) => claimed.deviceId)).toEqual([
      ben.deviceId,
    ]);
    expect(reply.unavailable).toEqual([]);
    expect((await status(ben)).stock).toBe(1);
  });

  it("gives a revoked device nothing and deletes its stock", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benPhone = await signUp(ben.phone, "Phone");
    const chatId = await openDirect(ana, ben);
    await publish(benPhone, {
      keyPackages: fakeKeyPackages(3),
      lastResort: fakeKeyPackage(),
    });
    expect(await storedRows(benPhone)).toBe(4);
    const revoked = await api("DELETE", `/api/devices/${benPhone.deviceId}`, {
      cookie: ben.cookie,
    });
    expect(revoked.status).toBe(204);
    expect(await storedRows(benPhone)).toBe(0);
    const reply = await claim(ana, chatId, [benPhone]);
    expect(reply.keyPackages).toEqual([]);
    expect(reply.unavailable).toEqual([device(benPhone)]);
  });

  it("gives an unknown device of a member nothing", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    await publish(ben, { keyPackages: fakeKeyPackages(1) });
    const stranger = { userId: ben.id, deviceId: crypto.randomUUID() };
    const response = await claimRequest(ana, chatId, [stranger]);
    const reply = await json<ClaimReply>(response);
    expect(reply.unavailable).toEqual([stranger]);
    expect((await status(ben)).stock).toBe(1);
  });

  it("rejects a caller who is not a member", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    await publish(ben, { keyPackages: fakeKeyPackages(1) });
    const response = await claimRequest(cleo, chatId, [device(ben)]);
    expect(response.status).toBe(403);
    const error = await errorOf(response);
    expect(error.code).toBe("forbidden");
    expect(error.message).toBe("You are not a member of this chat.");
    expect((await status(ben)).stock).toBe(1);
  });

  it("rejects an unknown chat as it rejects a non-member", async () => {
    const ana = await signUp();
    const response = await claimRequest(ana, `g_${crypto.randomUUID()}`, [
      device(ana),
    ]);
    expect(response.status).toBe(403);
    const error = await errorOf(response);
    expect(error.code).toBe("forbidden");
    expect(error.message).toBe("You are not a member of this chat.");
  });

  it("rejects a device of a non-member", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    await publish(ben, { keyPackages: fakeKeyPackages(1) });
    await publish(cleo, { keyPackages: fakeKeyPackages(1) });
    const response = await claimRequest(ana, chatId, [
      device(ben),
      device(ana),
      device(cleo),
    ]);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("devices.2.userId");
    expect(error.message).toContain(cleo.id);
    expect((await status(ben)).stock).toBe(1);
    expect((await status(cleo)).stock).toBe(1);
  });

  it("rejects a claim naming no device", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const response = await claimRequest(ana, chatId, []);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("devices");
  });
});

describe("claim limits", () => {
  it("allows claims of a group and re-adds", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const benPhone = await signUp(ben.phone, "Phone");
    const cleoPhone = await signUp(cleo.phone, "Phone");
    const chatId = await createGroup(ana, [ben, cleo]);
    const others = [ben, benPhone, cleo, cleoPhone];
    for (const user of others) {
      await publish(user, { keyPackages: fakeKeyPackages(2) });
    }
    const created = await claim(ana, chatId, others);
    expect(created.keyPackages).toHaveLength(4);
    const readded = await claim(ana, chatId, others);
    expect(readded.keyPackages).toHaveLength(4);
    for (const user of others) expect((await status(user)).stock).toBe(0);
  });

  it("limits claims of one device per claimer", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const benPhone = await signUp(ben.phone, "Phone");
    const chatId = await createGroup(ana, [ben, cleo]);
    const stock = KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR + 5;
    await publish(ben, { keyPackages: fakeKeyPackages(stock) });
    await publish(benPhone, { keyPackages: fakeKeyPackages(1) });
    for (let i = 0; i < KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR; i += 1) {
      await claim(ana, chatId, [ben]);
    }

    const response = await claimRequest(ana, chatId, [
      device(benPhone),
      device(ben),
    ]);
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    const error = await errorOf(response);
    expect(error.code).toBe("rate_limited");
    expect(error.field).toBe("devices.1");
    expect(error.retryAfter).toBe(retryAfter);
    expect(error.message).toContain(ben.deviceId);
    // The rejected claim took no KeyPackage of either device.
    expect((await status(ben)).stock).toBe(5);
    expect((await status(benPhone)).stock).toBe(1);

    // The limit is per claimer and device, so others still claim.
    expect(only(await claim(cleo, chatId, [ben]))).not.toBeNull();
    expect(only(await claim(ana, chatId, [benPhone]))).not.toBeNull();
  });

  it("limits one person's total claims", async () => {
    const [ana, ben, cleo] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cleo]);
    await publish(ben, { keyPackages: fakeKeyPackages(2) });
    await publish(cleo, { keyPackages: fakeKeyPackages(2) });
    // Counts claims as if Ana had claimed all but one in this hour.
    const limiter = env.RATE_LIMITER.get(
      env.RATE_LIMITER.idFromName(`key-claims:${ana.id}`),
    );
    const used = KEY_PACKAGE_CLAIMS_PER_HOUR - 1;
    const taken = await limiter.take(
      KEY_PACKAGE_CLAIMS_PER_HOUR,
      3_600_000,
      used,
    );
    expect(taken.allowed).toBe(true);

    const response = await claimRequest(ana, chatId, [
      device(ben),
      device(cleo),
    ]);
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("Retry-After"))).toBeGreaterThan(0);
    const error = await errorOf(response);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toContain(String(KEY_PACKAGE_CLAIMS_PER_HOUR));
    expect((await status(ben)).stock).toBe(2);
    expect((await status(cleo)).stock).toBe(2);

    // A device named twice counts once, so this claim still fits.
    const last = await claim(ana, chatId, [ben, ben]);
    expect(last.keyPackages).toHaveLength(1);
  });
});

describe("keys.low", () => {
  it("reaches only the device that was claimed", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const benPhone = await signUp(ben.phone, "Phone");
    const chatId = await openDirect(ana, ben);
    await publish(ben, { keyPackages: fakeKeyPackages(KEY_PACKAGE_LOW_WATER) });
    await publish(benPhone, {
      keyPackages: fakeKeyPackages(KEY_PACKAGE_LOW_WATER),
    });
    await publish(ana, { keyPackages: fakeKeyPackages(KEY_PACKAGE_LOW_WATER) });
    const laptopSocket = await open(ben);
    const phoneSocket = await open(benPhone);
    const anaSocket = await open(ana);

    await claim(ana, chatId, [benPhone]);
    const frame = await phoneSocket.next("keys.low");
    expect(frame.stock).toBe(KEY_PACKAGE_LOW_WATER - 1);
    await roundTrip(laptopSocket);
    await roundTrip(anaSocket);
    expect(keysLowFrames(laptopSocket)).toEqual([]);
    expect(keysLowFrames(anaSocket)).toEqual([]);
  });

  it("stays quiet while the stock is at the low water", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    await publish(ben, {
      keyPackages: fakeKeyPackages(KEY_PACKAGE_LOW_WATER + 1),
    });
    const socket = await open(ben);
    await claim(ana, chatId, [ben]);
    await roundTrip(socket);
    expect(keysLowFrames(socket)).toEqual([]);
  });

  it("follows ready when a device connects with a low stock", async () => {
    const ben = await signUp();
    await publish(ben, { keyPackages: fakeKeyPackages(5) });
    const socket = await open(ben);
    await roundTrip(socket);
    // connect() took `ready` off the queue, so keys.low came right after.
    expect(socket.frames[0]).toEqual({ type: "keys.low", stock: 5 });
  });

  it("is not sent on connect with a full stock", async () => {
    const ben = await signUp();
    await publish(ben, {
      keyPackages: fakeKeyPackages(KEY_PACKAGE_LOW_WATER),
    });
    const socket = await open(ben);
    await roundTrip(socket);
    expect(keysLowFrames(socket)).toEqual([]);
  });
});
