import { SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  nextCallEntry,
  nextEnded,
  nextState,
  startCall,
  storedCallEntries,
} from "./call-helpers.ts";
import {
  joinCall,
  nextGroupState,
  storedGroupCallEntries,
} from "./group-call-helpers.ts";
import {
  connect,
  createGroup,
  ORIGIN,
  openDirect,
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

/** Deletes the account of `user` and expects 204. */
async function deleted(user: TestUser): Promise<void> {
  const response = await SELF.fetch(`${ORIGIN}/api/me`, {
    method: "DELETE",
    headers: {
      Cookie: user.cookie,
      Origin: ORIGIN,
      "Content-Type": "application/json",
    },
    body: JSON.stringify({ phone: user.phone }),
  });
  expect(response.status, await response.clone().text()).toBe(204);
}

/** Signs up Ana and Ben, opens their one-to-one chat and connects both. */
async function directPair() {
  const ana = await signUp();
  const ben = await signUp();
  const chatId = await openDirect(ana, ben);
  return {
    ana,
    ben,
    chatId,
    anaSocket: await open(ana),
    benSocket: await open(ben),
  };
}

describe("one-to-one call of a deleted account", () => {
  it("ends an accepted call at once", async () => {
    const { ben, chatId, anaSocket, benSocket } = await directPair();
    const callId = await startCall(anaSocket, chatId);
    await benSocket.next("call.incoming");
    benSocket.send({ type: "call.accept", callId });
    await nextState(anaSocket, callId, "accepted");

    await deleted(ben);

    const ended = await nextEnded(anaSocket, callId);
    expect(ended.reason).toBe("hangup");
    expect(ended.outcome).toBe("completed");
    const entry = await nextCallEntry(anaSocket, callId);
    expect(entry.outcome).toBe("completed");
    const stored = await storedCallEntries(chatId);
    expect(stored.map((call) => call.callId)).toEqual([callId]);
  });

  it("cancels a call the account started", async () => {
    const { ben, chatId, anaSocket, benSocket } = await directPair();
    const callId = await startCall(benSocket, chatId);
    await anaSocket.next("call.incoming");

    await deleted(ben);

    const ended = await nextEnded(anaSocket, callId);
    expect(ended.reason).toBe("cancelled");
    expect(ended.outcome).toBe("cancelled");
    const entry = await nextCallEntry(anaSocket, callId);
    expect(entry.callerId).toBe(ben.id);
  });

  it("ends a call ringing the account as missed", async () => {
    const { ben, chatId, anaSocket, benSocket } = await directPair();
    const callId = await startCall(anaSocket, chatId);
    await benSocket.next("call.incoming");

    await deleted(ben);

    const ended = await nextEnded(anaSocket, callId);
    expect(ended.reason).toBe("missed");
    expect(ended.outcome).toBe("missed");
    const entries = await storedCallEntries(chatId);
    expect(entries.map((entry) => entry.outcome)).toEqual(["missed"]);
  });
});

describe("group call of a deleted account", () => {
  /** Signs up Ana, Ben and Cara, creates their group and connects all. */
  async function groupOfThree() {
    const ana = await signUp();
    const ben = await signUp();
    const cara = await signUp();
    const chatId = await createGroup(ana, [ben, cara]);
    return {
      ana,
      ben,
      cara,
      chatId,
      anaSocket: await open(ana),
      benSocket: await open(ben),
      caraSocket: await open(cara),
    };
  }

  it("removes the account's devices", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const benPhone = await signUp(ben.phone, "Phone");
    const benPhoneSocket = await open(benPhone);
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);
    await joinCall(benPhoneSocket, benPhone.deviceId, chatId, call.callId);
    await nextGroupState(anaSocket, (info) => info.participants.length === 3);
    // Earlier states of the joins must not pass for the state after the
    // deletion.
    anaSocket.frames.splice(0);

    await deleted(ben);

    const state = await nextGroupState(anaSocket, (info) =>
      info.participants.every((p) => p.userId !== ben.id),
    );
    expect(state.call.callId).toBe(call.callId);
    expect(state.call.participants.map((p) => p.deviceId)).toEqual([
      ana.deviceId,
    ]);
    expect(await storedGroupCallEntries(chatId)).toHaveLength(0);
  });

  it("ends a call the account was alone in", async () => {
    const { ben, chatId, anaSocket, benSocket, caraSocket } =
      await groupOfThree();
    const call = await joinCall(benSocket, ben.deviceId, chatId);
    await anaSocket.next("groupcall.ring");

    await deleted(ben);

    for (const socket of [anaSocket, caraSocket]) {
      const ended = await socket.next("groupcall.ended");
      expect(ended.callId).toBe(call.callId);
      const stopped = await socket.next("groupcall.ring.stopped");
      expect(stopped.callId).toBe(call.callId);
    }
    const entries = await storedGroupCallEntries(chatId);
    expect(entries.map((entry) => entry.participantIds)).toEqual([[ben.id]]);
  });
});
