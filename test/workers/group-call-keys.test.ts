import { afterEach, describe, expect, it } from "vitest";
import { v7 as uuidv7 } from "uuid";
import type { CallPublicKey, ServerFrame } from "../../protocol/index.ts";
import { joinCall, nextGroupState } from "./group-call-helpers.ts";
import {
  connect,
  createGroup,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

/** Returns a call key as a device sends it. The room does not verify it. */
function callKeyOf(name: string): CallPublicKey {
  return { publicKey: `pk-${name}`, signature: `sig-${name}` };
}

/** Ana and Ben in a call of a group of three; Cara is a member only. */
async function callOfTwo() {
  const ana = await signUp();
  const ben = await signUp();
  const cara = await signUp();
  const chatId = await createGroup(ana, [ben, cara]);
  const anaSocket = await open(ana);
  const benSocket = await open(ben);
  const caraSocket = await open(cara);

  const callId = uuidv7();
  anaSocket.send({
    type: "groupcall.join",
    chatId,
    callId,
    video: false,
    callKey: callKeyOf("ana"),
  });
  await nextGroupState(anaSocket, (call) => call.participants.length === 1);
  benSocket.send({
    type: "groupcall.join",
    chatId,
    callId,
    video: false,
    callKey: callKeyOf("ben"),
  });
  const state = await nextGroupState(
    anaSocket,
    (call) => call.participants.length === 2,
  );
  return {
    ana,
    ben,
    cara,
    chatId,
    callId,
    state,
    anaSocket,
    benSocket,
    caraSocket,
  };
}

function keyFrame(callId: string, toDeviceId: string, kid = 65_536) {
  return {
    type: "groupcall.key",
    callId,
    toDeviceId,
    kid,
    epoch: 3,
    sealed: "c2VhbGVk",
  };
}

/** Returns whether `socket` received a frame of `type` within `ms`. */
async function receives(
  socket: TestSocket,
  type: ServerFrame["type"],
  ms = 300,
): Promise<boolean> {
  try {
    await socket.next(type, () => true, ms);
    return true;
  } catch {
    return false;
  }
}

describe("group call keys", () => {
  it("state lists each participant's call key", async () => {
    const { ana, ben, state } = await callOfTwo();
    const byDevice = new Map(
      state.call.participants.map((p) => [p.deviceId, p.callKey]),
    );
    expect(byDevice.get(ana.deviceId)).toEqual(callKeyOf("ana"));
    expect(byDevice.get(ben.deviceId)).toEqual(callKeyOf("ben"));
  });

  it("rejoin with a new key replaces it", async () => {
    const { ben, chatId, callId, anaSocket, benSocket } = await callOfTwo();
    benSocket.send({
      type: "groupcall.join",
      chatId,
      callId,
      video: false,
      callKey: callKeyOf("ben-2"),
    });
    const state = await nextGroupState(anaSocket, (call) =>
      call.participants.some(
        (p) =>
          p.deviceId === ben.deviceId && p.callKey?.publicKey === "pk-ben-2",
      ),
    );
    expect(state.call.participants).toHaveLength(2);
  });

  it("relays a key to the participant it names", async () => {
    const { ana, ben, callId, anaSocket, benSocket, caraSocket } =
      await callOfTwo();
    anaSocket.send(keyFrame(callId, ben.deviceId, 65_537));
    const relayed = await benSocket.next("groupcall.key");
    expect(relayed).toEqual({
      type: "groupcall.key",
      callId,
      fromDeviceId: ana.deviceId,
      kid: 65_537,
      epoch: 3,
      sealed: "c2VhbGVk",
    });
    expect(await receives(caraSocket, "groupcall.key")).toBe(false);
    expect(await receives(anaSocket, "groupcall.key")).toBe(false);
  });

  it("relays a key request to the participant it names", async () => {
    const { ana, ben, callId, anaSocket, benSocket } = await callOfTwo();
    benSocket.send({
      type: "groupcall.key.request",
      callId,
      toDeviceId: ana.deviceId,
    });
    const relayed = await anaSocket.next("groupcall.key.request");
    expect(relayed).toEqual({
      type: "groupcall.key.request",
      callId,
      fromDeviceId: ben.deviceId,
    });
  });

  it("rejects a key to a member outside the call", async () => {
    const { cara, callId, anaSocket, caraSocket } = await callOfTwo();
    anaSocket.send(keyFrame(callId, cara.deviceId));
    const error = await anaSocket.next("error");
    expect(error.error.code).toBe("not_found");
    expect(error.error.field).toBe("toDeviceId");
    expect(await receives(caraSocket, "groupcall.key")).toBe(false);
  });

  it("rejects a key from a member outside the call", async () => {
    const { ana, callId, anaSocket, caraSocket } = await callOfTwo();
    caraSocket.send(keyFrame(callId, ana.deviceId));
    const error = await caraSocket.next("error");
    expect(error.error.code).toBe("not_found");
    expect(error.error.message).toContain("not in the call");
    expect(await receives(anaSocket, "groupcall.key")).toBe(false);
  });

  it("rejects a key to the sending device", async () => {
    const { ana, callId, anaSocket } = await callOfTwo();
    anaSocket.send(keyFrame(callId, ana.deviceId));
    const error = await anaSocket.next("error");
    expect(error.error.code).toBe("invalid_request");
    expect(error.error.field).toBe("toDeviceId");
  });

  it("stops relaying to a device that left", async () => {
    const { ben, callId, anaSocket, benSocket } = await callOfTwo();
    // Older states with one participant, from before Ben joined, go first.
    anaSocket.frames.length = 0;
    benSocket.send({ type: "groupcall.leave", callId });
    await nextGroupState(anaSocket, (call) => call.participants.length === 1);

    anaSocket.send(keyFrame(callId, ben.deviceId));
    const toLeaver = await anaSocket.next("error");
    expect(toLeaver.error.code).toBe("not_found");
    expect(toLeaver.error.field).toBe("toDeviceId");
    expect(await receives(benSocket, "groupcall.key")).toBe(false);
  });

  it("stops relaying from a device that left", async () => {
    const { ana, callId, anaSocket, benSocket } = await callOfTwo();
    // Older states with one participant, from before Ben joined, go first.
    anaSocket.frames.length = 0;
    benSocket.send({ type: "groupcall.leave", callId });
    await nextGroupState(anaSocket, (call) => call.participants.length === 1);

    benSocket.send(keyFrame(callId, ana.deviceId));
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("not_found");
    expect(await receives(anaSocket, "groupcall.key")).toBe(false);
  });

  it("joins without a key list a null key", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await createGroup(ana, [ben]);
    const anaSocket = await open(ana);
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    expect(call.participants[0]?.callKey).toBeNull();
  });
});
