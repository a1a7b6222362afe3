import { afterEach, describe, expect, it } from "vitest";
import {
  nextEnded,
  nextState,
  startCall,
  storedCallEntries,
} from "./call-helpers.ts";
import {
  connect,
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

/** Starts a call from Ana to Ben, whose phone and laptop both ring. */
async function ringingCall() {
  const ana = await signUp();
  const ben = await signUp();
  const benLaptop = await signUp(ben.phone, "Laptop");
  const chatId = await openDirect(ana, ben);
  const anaSocket = await open(ana);
  const phone = await open(ben);
  const laptop = await open(benLaptop);
  const callId = await startCall(anaSocket, chatId);
  await phone.next("call.incoming");
  await laptop.next("call.incoming");
  return { ben, chatId, callId, anaSocket, phone, laptop };
}

describe("call races", () => {
  it("accept on two devices at once", async () => {
    const { ben, chatId, callId, anaSocket, phone, laptop } =
      await ringingCall();

    phone.send({ type: "call.accept", rid: "phone", callId });
    laptop.send({ type: "call.accept", rid: "laptop", callId });

    const accepted = await nextState(anaSocket, callId, "accepted");
    const phoneWon = accepted.peerDeviceId === ben.deviceId;
    const [winner, loser] = phoneWon ? [phone, laptop] : [laptop, phone];
    const state = await nextState(winner, callId, "accepted");
    expect(state.peerDeviceId).toBe(accepted.call.callerDeviceId);
    expect((await nextEnded(loser, callId)).reason).toBe("answered_elsewhere");
    const rejection = await loser.next("error");
    expect(rejection.error.code).toBe("conflict");

    // The caller's hang-up proves every frame of the accepts arrived.
    anaSocket.send({ type: "call.hangup", callId });
    await nextEnded(winner, callId);
    const states = anaSocket.frames.filter(
      (f) => f.type === "call.state" && f.state === "accepted",
    );
    expect(states).toHaveLength(0);
    expect(await storedCallEntries(chatId)).toHaveLength(1);
  });

  it("hang-up from both ends at once", async () => {
    const { chatId, callId, anaSocket, phone } = await ringingCall();
    phone.send({ type: "call.accept", callId });
    await nextState(anaSocket, callId, "accepted");
    await nextState(phone, callId, "accepted");

    anaSocket.send({ type: "call.hangup", callId });
    phone.send({ type: "call.hangup", callId });

    expect((await nextEnded(anaSocket, callId)).outcome).toBe("completed");
    expect((await nextEnded(phone, callId)).outcome).toBe("completed");
    // A new call rings only once both hubs cleared the ended one.
    const next = await startCall(anaSocket, chatId);
    await phone.next("call.incoming", (f) => f.call.callId === next);
    expect(await storedCallEntries(chatId)).toHaveLength(1);
  });

  it("decline and accept at once", async () => {
    const { chatId, callId, anaSocket, phone, laptop } = await ringingCall();

    laptop.send({ type: "call.decline", rid: "decline", callId });
    phone.send({ type: "call.accept", rid: "accept", callId });

    // The room takes whichever comes first, and the other gets not_found.
    await expect
      .poll(() =>
        anaSocket.frames.some(
          (f) =>
            f.type === "call.ended" ||
            (f.type === "call.state" && f.state === "accepted"),
        ),
      )
      .toBe(true);
    const ended = anaSocket.frames.find((f) => f.type === "call.ended");
    const [late, lateRid] =
      ended === undefined ? [laptop, "decline"] : [phone, "accept"];
    const rejection = await late.next("error", (f) => f.rid === lateRid);
    expect(rejection.error.code).toBe("not_found");
    if (ended === undefined) {
      anaSocket.send({ type: "call.hangup", callId });
      await nextEnded(anaSocket, callId);
    } else {
      expect(ended.outcome).toBe("declined");
    }
    expect(await storedCallEntries(chatId)).toHaveLength(1);
  });
});
