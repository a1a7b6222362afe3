import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  backdateAccept,
  expireCallDeadline,
  newCallId,
  nextCallEntry,
  nextEnded,
  nextState,
  silenceAfterAccept,
  startCall,
  storedCallEntries,
} from "./call-helpers.ts";
import {
  api,
  connect,
  createGroup,
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

/** Ana calls Ben, who has a phone and a laptop, both connected. */
async function callSetup() {
  const ana = await signUp();
  const ben = await signUp();
  const benLaptop = await signUp(ben.phone, "Laptop");
  const chatId = await openDirect(ana, ben);
  return {
    ana,
    ben,
    benLaptop,
    chatId,
    anaSocket: await open(ana),
    phone: await open(ben),
    laptop: await open(benLaptop),
  };
}

/** Starts a call from Ana and accepts it on Ben's phone. */
async function acceptedCall() {
  const setup = await callSetup();
  const callId = await startCall(setup.anaSocket, setup.chatId);
  await setup.phone.next("call.incoming");
  setup.phone.send({ type: "call.accept", callId });
  await nextState(setup.anaSocket, callId, "accepted");
  await nextState(setup.phone, callId, "accepted");
  return { ...setup, callId };
}

describe("call ringing", () => {
  it("rings every callee device, then the caller", async () => {
    const { ana, ben, chatId, anaSocket, phone, laptop } = await callSetup();

    const callId = await startCall(anaSocket, chatId, true);

    for (const device of [phone, laptop]) {
      const incoming = await device.next("call.incoming");
      expect(incoming.call.callId).toBe(callId);
      expect(incoming.call.chatId).toBe(chatId);
      expect(incoming.call.callerId).toBe(ana.id);
      expect(incoming.call.callerDeviceId).toBe(ana.deviceId);
      expect(incoming.call.calleeId).toBe(ben.id);
      expect(incoming.call.video).toBe(true);
    }
    const ringing = await nextState(anaSocket, callId, "ringing");
    expect(ringing.call.callId).toBe(callId);
  });

  it("rings a device that connects while ringing", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const callId = await startCall(anaSocket, chatId);

    const phone = await open(ben);

    const incoming = await phone.next("call.incoming");
    expect(incoming.call.callId).toBe(callId);
    await nextState(anaSocket, callId, "ringing");
  });

  it("rejects group chats", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await createGroup(ana, [ben]);
    const anaSocket = await open(ana);

    anaSocket.send({
      type: "call.start",
      rid: "g1",
      callId: newCallId(),
      chatId,
      video: false,
    });

    const error = await anaSocket.next("error", (f) => f.rid === "g1");
    expect(error.error.code).toBe("invalid_request");
    expect(error.error.message).toContain("groupcall.join");
  });

  it("rejects people outside the chat", async () => {
    const { chatId } = await callSetup();
    const cara = await signUp();
    const caraSocket = await open(cara);

    caraSocket.send({
      type: "call.start",
      rid: "c1",
      callId: newCallId(),
      chatId,
      video: false,
    });

    const error = await caraSocket.next("error", (f) => f.rid === "c1");
    expect(error.error.code).toBe("not_found");
    expect(await storedCallEntries(chatId)).toEqual([]);
  });

  it("rejects a blocked pair", async () => {
    const { ana, ben, chatId, anaSocket } = await callSetup();
    const blocked = await api("PUT", `/api/blocks/${ana.id}`, {
      cookie: ben.cookie,
    });
    expect(blocked.status).toBe(204);

    anaSocket.send({
      type: "call.start",
      rid: "b1",
      callId: newCallId(),
      chatId,
      video: false,
    });

    const error = await anaSocket.next("error", (f) => f.rid === "b1");
    expect(error.error.code).toBe("forbidden");
  });
});

describe("call answers", () => {
  it("accept on one device stops the others", async () => {
    const { ana, ben, chatId, anaSocket, phone, laptop } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    await phone.next("call.incoming");
    await laptop.next("call.incoming");

    phone.send({ type: "call.accept", callId });

    const callerState = await nextState(anaSocket, callId, "accepted");
    expect(callerState.peerDeviceId).toBe(ben.deviceId);
    expect(callerState.polite).toBe(false);
    expect(callerState.acceptedAt).toBeTypeOf("number");
    const calleeState = await nextState(phone, callId, "accepted");
    expect(calleeState.peerDeviceId).toBe(ana.deviceId);
    expect(calleeState.polite).toBe(true);
    expect(calleeState.acceptedAt).toBe(callerState.acceptedAt);
    const stopped = await nextEnded(laptop, callId);
    expect(stopped.reason).toBe("answered_elsewhere");
    expect(stopped.chatId).toBe(chatId);
    expect(laptop.frames.some((f) => f.type === "call.state")).toBe(false);
  });

  it("decline ends the call for everyone", async () => {
    const { chatId, anaSocket, phone, laptop } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    await laptop.next("call.incoming");

    laptop.send({ type: "call.decline", callId });

    const callerEnd = await nextEnded(anaSocket, callId);
    expect(callerEnd.reason).toBe("declined");
    expect(callerEnd.outcome).toBe("declined");
    expect(callerEnd.durationMs).toBe(0);
    expect((await nextEnded(laptop, callId)).reason).toBe("declined");
    expect((await nextEnded(phone, callId)).reason).toBe("declined_elsewhere");
    const entry = await nextCallEntry(anaSocket, callId);
    expect(entry.outcome).toBe("declined");
  });

  it("caller hang-up before accept cancels", async () => {
    const { ana, chatId, anaSocket, phone, laptop } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    await phone.next("call.incoming");

    anaSocket.send({ type: "call.hangup", callId });

    const callerEnd = await nextEnded(anaSocket, callId);
    expect(callerEnd.reason).toBe("cancelled");
    expect(callerEnd.outcome).toBe("cancelled");
    expect((await nextEnded(phone, callId)).reason).toBe("cancelled");
    expect((await nextEnded(laptop, callId)).reason).toBe("cancelled");
    const entry = await nextCallEntry(phone, callId);
    expect(entry).toMatchObject({
      event: "call",
      callId,
      callerId: ana.id,
      outcome: "cancelled",
      durationMs: 0,
    });
  });

  it("hang-up after accept completes with the duration", async () => {
    const { chatId, callId, anaSocket, phone } = await acceptedCall();
    await backdateAccept(chatId, 5000);

    phone.send({ type: "call.hangup", callId });

    const callerEnd = await nextEnded(anaSocket, callId);
    expect(callerEnd.reason).toBe("hangup");
    expect(callerEnd.outcome).toBe("completed");
    expect(callerEnd.durationMs).toBeGreaterThanOrEqual(5000);
    const entry = await nextCallEntry(anaSocket, callId);
    expect(entry.outcome).toBe("completed");
    expect(entry.durationMs).toBe(callerEnd.durationMs);
    expect((await nextCallEntry(phone, callId)).outcome).toBe("completed");

    // A second hang-up, then a later frame: nothing more is written.
    anaSocket.send({ type: "call.hangup", callId });
    anaSocket.send({ type: "call.ping", callId });
    await anaSocket.next("error");
    const entries = await storedCallEntries(chatId);
    expect(entries).toHaveLength(1);
  });

  it("hang-up with reason failed records a failed call", async () => {
    const { chatId, callId, anaSocket, phone } = await acceptedCall();

    anaSocket.send({ type: "call.hangup", callId, reason: "failed" });

    const calleeEnd = await nextEnded(phone, callId);
    expect(calleeEnd.reason).toBe("failed");
    expect(calleeEnd.outcome).toBe("failed");
    const entries = await storedCallEntries(chatId);
    expect(entries.map((entry) => entry.outcome)).toEqual(["failed"]);
  });

  it("busy when the callee is in another call", async () => {
    const { ben, anaSocket, phone } = await acceptedCall();
    const cara = await signUp();
    const caraChat = await openDirect(cara, ben);
    const caraSocket = await open(cara);

    const callId = await startCall(caraSocket, caraChat);

    const ended = await nextEnded(caraSocket, callId);
    expect(ended.reason).toBe("busy");
    expect(ended.outcome).toBe("busy");
    const entry = await nextCallEntry(caraSocket, callId);
    expect(entry.outcome).toBe("busy");
    expect(phone.frames.some((f) => f.type === "call.incoming")).toBe(false);
    expect(anaSocket.closeCode).toBeNull();
  });

  it("caller already in a call gets conflict", async () => {
    const { ana, anaSocket } = await acceptedCall();
    const cara = await signUp();
    const caraChat = await openDirect(ana, cara);

    anaSocket.send({
      type: "call.start",
      rid: "busy1",
      callId: newCallId(),
      chatId: caraChat,
      video: false,
    });

    const error = await anaSocket.next("error", (f) => f.rid === "busy1");
    expect(error.error.code).toBe("conflict");
    expect(await storedCallEntries(caraChat)).toEqual([]);
  });
});

describe("current call records", () => {
  it("drop a record whose call the room never had", async () => {
    const { ana, chatId, anaSocket, phone } = await callSetup();
    const hub = env.USER_HUB.get(env.USER_HUB.idFromName(ana.id));
    await runInDurableObject(hub, (_hub, state) => {
      state.storage.sql.exec(
        `INSERT INTO current_call (id, call_id, chat_id, role, state)
         VALUES (1, ?, ?, 'caller', 'ringing')`,
        newCallId(),
        `dm_${"0".repeat(32)}`,
      );
    });

    const callId = await startCall(anaSocket, chatId);

    expect((await phone.next("call.incoming")).call.callId).toBe(callId);
  });
});

describe("call timeouts", () => {
  it("ends unanswered calls as missed", async () => {
    const { chatId, anaSocket, phone } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    await phone.next("call.incoming");

    expect(await expireCallDeadline(chatId, "ring_deadline")).toBe(true);

    const callerEnd = await nextEnded(anaSocket, callId);
    expect(callerEnd.reason).toBe("missed");
    expect(callerEnd.outcome).toBe("missed");
    expect((await nextEnded(phone, callId)).reason).toBe("missed");
    expect((await nextCallEntry(phone, callId)).outcome).toBe("missed");
  });

  it("ends an accepted call as lost after ping silence", async () => {
    const { chatId, callId, anaSocket, phone } = await acceptedCall();
    // Ben's phone pinged for 5 s after the accept, then fell silent, while
    // Ana stayed in the call until the alarm found him silent 60 s in.
    await backdateAccept(chatId, 60_000);

    expect(await silenceAfterAccept(chatId, "callee_ping_at", 5_000)).toBe(
      true,
    );

    const callerEnd = await nextEnded(anaSocket, callId);
    expect(callerEnd.reason).toBe("lost");
    expect(callerEnd.outcome).toBe("completed");
    // The duration runs to the alarm, not to Ben's last ping.
    expect(callerEnd.durationMs).toBeGreaterThanOrEqual(60_000);
    const calleeEnd = await nextEnded(phone, callId);
    expect(calleeEnd.reason).toBe("lost");
    expect(calleeEnd.durationMs).toBe(callerEnd.durationMs);
    const entries = await storedCallEntries(chatId);
    expect(entries.map((entry) => entry.outcome)).toEqual(["completed"]);
    expect(entries.map((entry) => entry.durationMs)).toEqual([
      callerEnd.durationMs,
    ]);
  });

  it("a late timeout after the end does nothing", async () => {
    const { chatId, anaSocket } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    anaSocket.send({ type: "call.hangup", callId });
    await nextEnded(anaSocket, callId);

    await expireCallDeadline(chatId, "ring_deadline");

    const entries = await storedCallEntries(chatId);
    expect(entries.map((entry) => entry.outcome)).toEqual(["cancelled"]);
  });
});

describe("call relay", () => {
  it("relays signal and media to the peer device only", async () => {
    const { ana, ben, callId, anaSocket, phone, laptop } = await acceptedCall();
    const offer = { type: "offer", sdp: "v=0\r\n" } as const;

    anaSocket.send({
      type: "call.signal",
      callId,
      signal: { kind: "description", description: offer },
    });
    anaSocket.send({ type: "call.media", callId, audio: false, video: true });

    const signal = await phone.next("call.signal");
    expect(signal.fromDeviceId).toBe(ana.deviceId);
    expect(signal.signal).toEqual({ kind: "description", description: offer });
    const media = await phone.next("call.media");
    expect(media).toMatchObject({ userId: ana.id, audio: false, video: true });

    laptop.send({
      type: "call.signal",
      callId,
      signal: { kind: "candidate", candidate: { candidate: "" } },
    });
    const refused = await laptop.next("error");
    expect(refused.error.code).toBe("forbidden");

    phone.send({
      type: "call.signal",
      callId,
      signal: { kind: "candidate", candidate: { candidate: "" } },
    });
    const answer = await anaSocket.next("call.signal");
    expect(answer.fromDeviceId).toBe(ben.deviceId);
    expect(anaSocket.frames.some((f) => f.type === "call.signal")).toBe(false);
    expect(laptop.frames.some((f) => f.type === "call.signal")).toBe(false);
  });

  it("refuses signal before the accept", async () => {
    const { chatId, anaSocket, phone } = await callSetup();
    const callId = await startCall(anaSocket, chatId);
    await phone.next("call.incoming");

    anaSocket.send({
      type: "call.signal",
      callId,
      signal: { kind: "candidate", candidate: { candidate: "" } },
    });

    const refused = await anaSocket.next("error");
    expect(refused.error.code).toBe("forbidden");
    expect(phone.frames.some((f) => f.type === "call.signal")).toBe(false);
  });

  it("refuses frames of a call the person is not in", async () => {
    const { callId } = await acceptedCall();
    const cara = await signUp();
    const caraSocket = await open(cara);

    caraSocket.send({ type: "call.accept", rid: "x1", callId });

    const refused = await caraSocket.next("error", (f) => f.rid === "x1");
    expect(refused.error.code).toBe("not_found");
  });
});
