import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { v7 as uuidv7 } from "uuid";
import {
  GROUP_CALL_DROP_MS,
  GROUP_CALL_RECONNECTING_MS,
  MAX_GROUP_CALL_PARTICIPANTS,
} from "../../protocol/index.ts";
import { subscribe, waitForPushes } from "./push-helpers.ts";
import {
  inboxRow,
  joinCall,
  nextGroupState,
  roomStub,
  silenceDevice,
  storedGroupCallEntries,
} from "./group-call-helpers.ts";
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
/** Creates a group of three and opens sockets for the first two. */
async function groupOfThree() {
  const ana = await signUp();
  const ben = await signUp();
  const cara = await signUp();
  const chatId = await createGroup(ana, [ben, cara]);
  const anaSocket = await open(ana);
  const benSocket = await open(ben);
  return { ana, ben, cara, chatId, anaSocket, benSocket };
}

describe("group call start and join", () => {
  it("start rings the other members' devices", async () => {
    const { ana, chatId, anaSocket, benSocket } = await groupOfThree();
    const callId = uuidv7();

    const call = await joinCall(anaSocket, ana.deviceId, chatId, callId, true);

    expect(call.callId).toBe(callId);
    expect(call.startedBy).toBe(ana.id);
    expect(call.video).toBe(true);
    expect(call.participants.map((p) => p.deviceId)).toEqual([ana.deviceId]);
    const ring = await benSocket.next("groupcall.ring");
    expect(ring.call.callId).toBe(callId);
    const seen = await nextGroupState(benSocket);
    expect(seen.call.participants).toHaveLength(1);
    // The state broadcast reached Ana too, after any ring would have.
    await nextGroupState(anaSocket);
    expect(anaSocket.frames.some((f) => f.type === "groupcall.ring")).toBe(
      false,
    );
    const row = await inboxRow(benSocket, chatId);
    expect(row?.groupCall).toEqual({ callId, video: true, participants: 1 });
  });

  it("join adds a device and rejoin keeps its place", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const started = await joinCall(anaSocket, ana.deviceId, chatId);

    // A joiner with another call id joins the running call.
    const joined = await joinCall(benSocket, ben.deviceId, chatId, uuidv7());
    const again = await joinCall(benSocket, ben.deviceId, chatId);

    expect(joined.callId).toBe(started.callId);
    expect(joined.participants).toHaveLength(2);
    expect(again.participants).toHaveLength(2);
    const first = joined.participants.find((p) => p.userId === ben.id);
    const second = again.participants.find((p) => p.userId === ben.id);
    expect(second?.joinedAt).toBe(first?.joinedAt);
    const seen = await nextGroupState(anaSocket, (call) =>
      call.participants.some((p) => p.userId === ben.id),
    );
    expect(seen.call.callId).toBe(started.callId);
  });

  it("a full call rejects another device", async () => {
    const { ana, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await runInDurableObject(roomStub(chatId), (_room, state) => {
      for (let i = 1; i < MAX_GROUP_CALL_PARTICIPANTS; i += 1) {
        state.storage.sql.exec(
          `INSERT INTO group_call_participant (user_id, device_id, call_id,
             audio, video, joined_at, ping_at)
           VALUES (?, ?, ?, 1, 0, ?, ?)`,
          ana.id,
          `filler-${i}`,
          call.callId,
          Date.now(),
          Date.now(),
        );
      }
    });

    benSocket.send({
      type: "groupcall.join",
      chatId,
      callId: call.callId,
      video: false,
    });

    const error = await benSocket.next("error");
    expect(error.error.code).toBe("conflict");
    expect(error.error.message).toContain("call is full");
  });

  it("non-members and one-to-one chats are rejected", async () => {
    const { chatId, anaSocket, ana } = await groupOfThree();
    const stranger = await signUp();
    const direct = await openDirect(ana, stranger);
    const room = roomStub(chatId);

    const outsider = await room.groupCallJoin(
      { userId: stranger.id, deviceId: stranger.deviceId },
      uuidv7(),
      false,
    );
    anaSocket.send({
      type: "groupcall.join",
      chatId: direct,
      callId: uuidv7(),
      video: false,
    });
    const error = await anaSocket.next("error");

    expect(outsider.ok).toBe(false);
    expect(outsider.ok ? null : outsider.error.code).toBe("not_found");
    expect(error.error.code).toBe("invalid_request");
    expect(error.chatId).toBe(direct);
  });
});

describe("group call leave and end", () => {
  it("the last one out ends the call with one entry", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);

    anaSocket.send({ type: "groupcall.leave", callId: call.callId });
    const afterLeave = await nextGroupState(
      benSocket,
      (state) => !state.participants.some((p) => p.userId === ana.id),
    );
    benSocket.send({ type: "groupcall.leave", callId: call.callId });
    const ended = await anaSocket.next("groupcall.ended");

    expect(afterLeave.call.participants[0]?.userId).toBe(ben.id);
    expect(ended.callId).toBe(call.callId);
    expect(ended.chatId).toBe(chatId);
    const entries = await storedGroupCallEntries(chatId);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.callId).toBe(call.callId);
    expect(entries[0]?.startedBy).toBe(ana.id);
    expect(entries[0]?.participantIds).toEqual([ana.id, ben.id]);
    const message = await benSocket.next(
      "message",
      (frame) => frame.message.kind === "system",
    );
    expect(message.message.body).toContain("group_call");
    const row = await inboxRow(anaSocket, chatId);
    expect(row?.groupCall).toBeNull();
  });

  it("inbox shows the call while it runs", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);
    await nextGroupState(anaSocket, (state) => state.participants.length === 2);

    const row = await inboxRow(anaSocket, chatId);

    expect(row?.groupCall).toEqual({
      callId: call.callId,
      video: false,
      participants: 2,
    });
  });

  it("silent devices reconnect, then drop", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);

    await silenceDevice(chatId, ben.deviceId, GROUP_CALL_RECONNECTING_MS);
    const reconnecting = await nextGroupState(anaSocket, (state) =>
      state.participants.some((p) => p.userId === ben.id && p.reconnecting),
    );
    await silenceDevice(chatId, ben.deviceId, GROUP_CALL_DROP_MS);
    const dropped = await nextGroupState(
      anaSocket,
      (state) => !state.participants.some((p) => p.userId === ben.id),
    );

    const anaRow = reconnecting.call.participants.find(
      (p) => p.userId === ana.id,
    );
    expect(anaRow?.reconnecting).toBe(false);
    expect(dropped.call.participants.map((p) => p.userId)).toEqual([ana.id]);
    benSocket.send({ type: "groupcall.ping", callId: call.callId });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("not_found");
  });

  it("decline stops ringing and keeps the call", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const benPhone = await signUp(ben.phone, "Phone");
    const benPhoneSocket = await open(benPhone);
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await benSocket.next("groupcall.ring");
    await nextGroupState(benSocket);

    benSocket.send({ type: "groupcall.decline", callId: call.callId });

    const stopped = await benPhoneSocket.next("groupcall.ring.stopped");
    expect(stopped.callId).toBe(call.callId);
    const row = await inboxRow(anaSocket, chatId);
    expect(row?.groupCall?.participants).toBe(1);
    expect(await storedGroupCallEntries(chatId)).toHaveLength(0);
  });

  it("a removed member is dropped from the call", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);

    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      {
        cookie: ana.cookie,
      },
    );

    expect(removed.status).toBe(200);
    const state = await nextGroupState(
      anaSocket,
      (info) => !info.participants.some((p) => p.userId === ben.id),
    );
    expect(state.call.participants).toHaveLength(1);
    benSocket.send({
      type: "groupcall.update",
      callId: call.callId,
      sessionId: null,
      tracks: [],
      audio: false,
      video: false,
      screen: false,
    });
    const error = await benSocket.next("error");
    expect(error.error.code).toBe("not_found");
  });

  it("a removed member's devices leave the call", async () => {
    const { ana, ben, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await joinCall(benSocket, ben.deviceId, chatId, call.callId);

    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      { cookie: ana.cookie },
    );

    expect(removed.status).toBe(200);
    const ended = await benSocket.next("groupcall.ended");
    expect(ended.callId).toBe(call.callId);
    expect(ended.chatId).toBe(chatId);
    const row = await inboxRow(benSocket, chatId);
    expect(row?.groupCall ?? null).toBeNull();
    const state = await nextGroupState(anaSocket);
    expect(state.call.participants.map((p) => p.userId)).toEqual([ana.id]);
  });
});

describe("group call membership and ringing", () => {
  it("a new member sees the running call", async () => {
    const { ana, chatId, anaSocket } = await groupOfThree();
    const dan = await signUp();
    const danSocket = await open(dan);
    const call = await joinCall(anaSocket, ana.deviceId, chatId);

    const added = await api("POST", `/api/chats/${chatId}/members`, {
      cookie: ana.cookie,
      body: { userIds: [dan.id] },
    });

    expect(added.status).toBe(200);
    const seen = await nextGroupState(danSocket);
    expect(seen.call.callId).toBe(call.callId);
  });

  it("update rejects a session it does not own", async () => {
    const { ana, chatId, anaSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);

    anaSocket.send({
      type: "groupcall.update",
      callId: call.callId,
      sessionId: "someone-elses-session",
      tracks: [],
      audio: true,
      video: false,
      screen: false,
    });

    const error = await anaSocket.next("error");
    expect(error.error.code).toBe("forbidden");
    expect(error.error.field).toBe("sessionId");
  });

  it("ringing stops when the ring time passes", async () => {
    const { ana, chatId, anaSocket, benSocket } = await groupOfThree();
    const call = await joinCall(anaSocket, ana.deviceId, chatId);
    await benSocket.next("groupcall.ring");
    const stub = roomStub(chatId);
    await runInDurableObject(stub, (_room, state) => {
      state.storage.sql.exec("UPDATE group_call_ring SET until = 0");
    });

    await runDurableObjectAlarm(stub);

    const stopped = await benSocket.next("groupcall.ring.stopped");
    expect(stopped.callId).toBe(call.callId);
    const row = await inboxRow(anaSocket, chatId);
    expect(row?.groupCall?.participants).toBe(1);
  });
});

describe("group call pushes", () => {
  it("push the start to offline members and its end", async () => {
    const { ana, cara, chatId, anaSocket } = await groupOfThree();
    const caraPush = await subscribe(cara);
    const call = await joinCall(
      anaSocket,
      ana.deviceId,
      chatId,
      uuidv7(),
      true,
    );

    const [ring] = await waitForPushes(caraPush, 1);
    expect(ring?.payload).toMatchObject({
      v: 1,
      type: "call",
      chatId,
      callId: call.callId,
      callerId: ana.id,
      video: true,
    });

    anaSocket.send({ type: "groupcall.leave", callId: call.callId });
    await anaSocket.next("groupcall.ended");
    const pushes = await waitForPushes(caraPush, 2);
    expect(pushes[1]?.payload).toEqual({
      v: 1,
      type: "call.end",
      chatId,
      callId: call.callId,
    });
  });
});
