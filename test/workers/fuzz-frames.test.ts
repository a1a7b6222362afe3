import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientFrame,
  MAX_FRAME_CHARS,
  type ClientFrameType,
} from "../../protocol/index.ts";
import {
  connect,
  createGroup,
  newMessageId,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";
import {
  expectSocketUsable,
  expectTypedError,
  fuzzParameters,
  HUGE_STRING,
  mutate,
  mutationOf,
  nestedArrays,
  readWorld,
  type WorldState,
} from "./fuzz-helpers.ts";

let alice: TestUser;
let bob: TestUser;
let aliceSocket: TestSocket;
let bobSocket: TestSocket;
let directId: string;
let groupId: string;
let firstMessageId: string;

beforeAll(async () => {
  alice = await signUp();
  bob = await signUp();
  directId = await openDirect(alice, bob);
  groupId = await createGroup(alice, [bob]);
  aliceSocket = await connect(alice);
  bobSocket = await connect(bob);
  firstMessageId = newMessageId();
  await sendText(aliceSocket, directId, "first", firstMessageId);
  await sendText(aliceSocket, groupId, "in the group");
});

afterAll(() => {
  aliceSocket.close();
  bobSocket.close();
});

/** Builds a valid frame of each client type, aimed at the chats above. */
function validFrames(): Record<ClientFrameType, Record<string, unknown>> {
  const callId = newMessageId();
  return {
    sync: {
      type: "sync",
      rid: "r1",
      chats: [{ chatId: directId, afterSeq: 0 }],
    },
    send: {
      type: "send",
      chatId: directId,
      message: { id: newMessageId(), kind: "message", body: "hi" },
    },
    history: {
      type: "history",
      rid: "r2",
      chatId: groupId,
      beforeSeq: 5,
      limit: 10,
    },
    receipt: { type: "receipt", chatId: directId, kind: "read", seq: 1 },
    delete: {
      type: "delete",
      rid: "r3",
      chatId: directId,
      messageId: firstMessageId,
    },
    view: { type: "view", chatId: groupId, listed: [directId] },
    typing: { type: "typing", chatId: groupId, state: "typing" },
    ack: { type: "ack", chars: 1 },
    "call.start": {
      type: "call.start",
      rid: "r4",
      callId,
      chatId: directId,
      video: false,
    },
    "call.accept": { type: "call.accept", rid: "r5", callId },
    "call.decline": { type: "call.decline", rid: "r6", callId },
    "call.hangup": { type: "call.hangup", rid: "r7", callId, reason: "hangup" },
    "call.signal": {
      type: "call.signal",
      callId,
      signal: {
        kind: "description",
        description: { type: "offer", sdp: "v=0" },
      },
    },
    "call.media": { type: "call.media", callId, audio: true, video: false },
    "call.ping": { type: "call.ping", rid: "r8", callId },
    "groupcall.join": {
      type: "groupcall.join",
      rid: "r9",
      chatId: groupId,
      callId,
      video: true,
    },
    "groupcall.leave": { type: "groupcall.leave", callId },
    "groupcall.decline": { type: "groupcall.decline", callId },
    "groupcall.update": {
      type: "groupcall.update",
      callId,
      sessionId: null,
      tracks: [{ trackName: "cam-1", kind: "video" }],
      audio: true,
      video: true,
      screen: false,
    },
    "groupcall.ping": { type: "groupcall.ping", callId },
    "groupcall.key": {
      type: "groupcall.key",
      callId,
      toDeviceId: "00000000-0000-4000-8000-000000000001",
      kid: 65_537,
      epoch: 2,
      sealed: "AAAAAAAAAAAAAAAA",
    },
    "groupcall.key.request": {
      type: "groupcall.key.request",
      callId,
      toDeviceId: "00000000-0000-4000-8000-000000000001",
    },
  };
}

const FRAME_TYPES = Object.keys(validFrames()) as ClientFrameType[];

async function world(): Promise<WorldState> {
  return readWorld(bob, bobSocket, [directId, groupId]);
}

/** Sends raw data on Alice's socket and returns the `error` it causes. */
async function sendHostile(data: string | Uint8Array) {
  aliceSocket.ws.send(data);
  const reply = await aliceSocket.next("error", () => true, 3000);
  expectTypedError(reply.error);
  return reply;
}

describe("hostile client frames", () => {
  it("every frame type has a valid base frame", () => {
    const frames = validFrames();
    for (const type of FRAME_TYPES) {
      expect(ClientFrame.safeParse(frames[type]).success, type).toBe(true);
    }
    const schemaTypes = ClientFrame.options.map((o) => o.shape.type.value);
    expect(FRAME_TYPES.sort()).toEqual([...schemaTypes].sort());
  });

  it("mutated frames get a typed error and change nothing", async () => {
    const before = await world();
    const cases = fc
      .constantFrom(...FRAME_TYPES)
      .chain((type) => {
        const base = validFrames()[type];
        return mutationOf(base as never).map((mutation) => ({
          base,
          mutation,
        }));
      })
      .map(({ base, mutation }) => mutate(base as never, mutation))
      .filter((frame) => !ClientFrame.safeParse(frame).success);
    await fc.assert(
      fc.asyncProperty(cases, async (frame) => {
        const reply = await sendHostile(JSON.stringify(frame));
        expect(["invalid_request", "too_large"]).toContain(reply.error.code);
        await expectSocketUsable(aliceSocket, directId);
      }),
      fuzzParameters(300),
    );
    expect(await world()).toEqual(before);
  });

  it("text that is not a JSON object gets invalid_request", async () => {
    const before = await world();
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.integer({ min: 1000, max: 100_000 }).map((depth) => "[".repeat(depth)),
    );
    const invalid = text.filter((data) => {
      try {
        return !ClientFrame.safeParse(JSON.parse(data)).success;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(invalid, async (data) => {
        const reply = await sendHostile(data);
        expect(reply.error.code).toBe("invalid_request");
        await expectSocketUsable(aliceSocket, directId);
      }),
      fuzzParameters(100),
    );
    expect(await world()).toEqual(before);
  });

  it("binary frames get invalid_request", async () => {
    const before = await world();
    const invalidUtf8 = fc.constantFrom(
      new Uint8Array([0xc3, 0x28]),
      new Uint8Array([0xff, 0xfe, 0xfd]),
      new Uint8Array([0xed, 0xa0, 0x80]),
    );
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 256 }), invalidUtf8);
    const frames = fc.oneof(
      bytes,
      fc.constant(new TextEncoder().encode(JSON.stringify(validFrames().send))),
    );
    await fc.assert(
      fc.asyncProperty(frames, async (data) => {
        const reply = await sendHostile(data);
        expect(reply.error.code).toBe("invalid_request");
        await expectSocketUsable(aliceSocket, directId);
      }),
      fuzzParameters(50),
    );
    expect(await world()).toEqual(before);
  });

  it("a send over the frame cap names its message", async () => {
    const before = await world();
    const id = newMessageId();
    const frame = {
      type: "send",
      chatId: directId,
      message: { id, kind: "message", body: HUGE_STRING },
    };
    expect(JSON.stringify(frame).length).toBeGreaterThan(MAX_FRAME_CHARS);
    const reply = await sendHostile(JSON.stringify(frame));
    expect(reply.error.code).toBe("too_large");
    expect(reply.id).toBe(id);
    expect(reply.chatId).toBe(directId);
    await expectSocketUsable(aliceSocket, directId);
    expect(await world()).toEqual(before);
  });

  it("oversized text that is not JSON gets too_large", async () => {
    for (const length of [MAX_FRAME_CHARS + 1, 8 * MAX_FRAME_CHARS]) {
      const reply = await sendHostile("{".repeat(length));
      expect(reply.error.code, `length ${length}`).toBe("too_large");
    }
    await expectSocketUsable(aliceSocket, directId);
  });

  it("a send far over the cap is rejected unparsed", async () => {
    const before = await world();
    const frame = {
      type: "send",
      chatId: directId,
      message: { id: newMessageId(), kind: "message", body: HUGE_STRING },
      padding: "x".repeat(4 * MAX_FRAME_CHARS),
    };
    const reply = await sendHostile(JSON.stringify(frame));
    expect(reply.error.code).toBe("too_large");
    expect(reply.id).toBeUndefined();
    await expectSocketUsable(aliceSocket, directId);
    expect(await world()).toEqual(before);
  });

  it("deeply nested fields get invalid_request", async () => {
    const frame = { ...validFrames().send, message: nestedArrays(100_000) };
    const reply = await sendHostile(JSON.stringify(frame));
    expect(reply.error.code).toBe("invalid_request");
    expect(reply.error.field).toBe("message");
    await expectSocketUsable(aliceSocket, directId);
  });

  it("extra fields never reach storage", async () => {
    const extras = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 10 }),
      fc.jsonValue({ maxDepth: 2 }),
      { minKeys: 1, maxKeys: 4 },
    );
    await fc.assert(
      fc.asyncProperty(extras, extras, async (top, inner) => {
        const id = newMessageId();
        const frame = {
          ...top,
          type: "send",
          chatId: directId,
          message: { ...inner, id, kind: "message", body: "extra" },
        };
        aliceSocket.send(frame);
        await aliceSocket.next("send.ok", (f) => f.id === id, 3000);
        const live = await bobSocket.next(
          "message",
          (f) => f.message.id === id,
        );
        expect(Object.keys(live.message).sort()).toEqual(STORED_KEYS);
        const { chats } = await world();
        const log = chats[0]?.messages as { id: string }[];
        const stored = log.find((message) => message.id === id);
        expect(Object.keys(stored ?? {}).sort()).toEqual(STORED_KEYS);
      }),
      fuzzParameters(20),
    );
  });
});

const STORED_KEYS = [
  "body",
  "chatId",
  "deleted",
  "id",
  "kind",
  "ref",
  "senderDeviceId",
  "senderId",
  "seq",
  "ts",
];
