import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RealtimeKitTokenReply } from "../../protocol/realtimekit.ts";
import {
  groupCallProvider,
  realtimeKitConfig,
} from "../../worker/realtimekit.ts";
import worker from "../../worker/index.ts";
import {
  joinCall,
  nextGroupState,
  silenceDevice,
} from "./group-call-helpers.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

// Runs under vitest.realtimekit.config.ts: GROUP_CALL_PROVIDER is
// "realtimekit" and the REST API base is https://rtk.example/client/v4.
const APP =
  "https://rtk.example/client/v4/accounts/account123/realtime/kit/app123";

const sockets: TestSocket[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const socket of sockets.splice(0)) socket.close();
});

/** A request that reached the fake RealtimeKit API. */
interface Sent {
  method: string;
  url: string;
  authorization: string | null;
  body: unknown;
}

let sent: Sent[] = [];

/**
 * Replaces the outbound fetch with a fake RealtimeKit REST API that
 * replies with the documented envelopes. `meetingDelay` holds back the
 * reply to Create Meeting, so concurrent requests overlap it.
 */
function fakeRealtimeKit(meetingDelay?: Promise<void>): void {
  sent = [];
  let meetings = 0;
  let participants = 0;
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (!request.url.startsWith("https://rtk.example/")) {
      return realFetch(input, init);
    }
    const text = await request.text();
    sent.push({
      method: request.method,
      url: request.url,
      authorization: request.headers.get("Authorization"),
      body: text === "" ? undefined : (JSON.parse(text) as unknown),
    });
    const path = request.url.slice(APP.length);
    let data: unknown = {};
    if (request.method === "POST" && path === "/meetings") {
      await meetingDelay;
      meetings += 1;
      data = { id: `meeting-${meetings}`, title: "t" };
    } else if (path.endsWith("/participants")) {
      participants += 1;
      data = {
        id: `participant-${participants}`,
        token: `token-${participants}`,
      };
    } else if (path.endsWith("/token")) {
      data = { token: `refreshed-${sent.length}` };
    }
    return Response.json({ success: true, data });
  });
}

function requestsTo(method: string, suffix: string): Sent[] {
  return sent.filter(
    (request) => request.method === method && request.url === APP + suffix,
  );
}

async function tokenRequest(user: TestUser, chatId: string, callId: string) {
  return api("POST", `/api/chats/${chatId}/calls/${callId}/realtimekit/token`, {
    cookie: user.cookie,
  });
}

async function tokenOf(user: TestUser, chatId: string, callId: string) {
  const response = await tokenRequest(user, chatId, callId);
  expect(response.status).toBe(200);
  return response.json<RealtimeKitTokenReply>();
}

/** Creates a group of three whose call has Ana and Ben but not Cara. */
async function callOfTwo() {
  const ana = await signUp();
  const ben = await signUp();
  const cara = await signUp();
  const chatId = await createGroup(ana, [ben, cara]);
  const anaSocket = await connect(ana);
  const benSocket = await connect(ben);
  sockets.push(anaSocket, benSocket);
  const call = await joinCall(anaSocket, ana.deviceId, chatId);
  await joinCall(benSocket, ben.deviceId, chatId, call.callId);
  return { ana, ben, cara, chatId, call, anaSocket, benSocket };
}

describe("RealtimeKit meetings", () => {
  it("call state names the provider", async () => {
    const { call } = await callOfTwo();
    expect(call.provider).toBe("realtimekit");
  });

  it("first token creates the meeting and participant", async () => {
    const { ana, chatId, call } = await callOfTwo();
    fakeRealtimeKit();

    const reply = await tokenOf(ana, chatId, call.callId);

    expect(reply.authToken).toBe("token-1");
    expect(reply.meetingId).toBe("meeting-1");
    expect(reply.participantKey).toBe(`${ana.id}.${ana.deviceId}`);
    const [create] = requestsTo("POST", "/meetings");
    expect(create?.authorization).toBe("Bearer api-token");
    expect(create?.body).toEqual({ title: `Group call ${call.callId}` });
    const [add] = requestsTo("POST", "/meetings/meeting-1/participants");
    expect(add?.authorization).toBe("Bearer api-token");
    expect(add?.body).toEqual({
      custom_participant_id: `${ana.id}.${ana.deviceId}`,
      preset_name: "group_call_participant",
      name: ana.id,
    });
    expect(sent).toHaveLength(2);
  });

  it("second member joins the same meeting", async () => {
    const { ana, ben, chatId, call } = await callOfTwo();
    fakeRealtimeKit();

    await tokenOf(ana, chatId, call.callId);
    const reply = await tokenOf(ben, chatId, call.callId);

    expect(reply.meetingId).toBe("meeting-1");
    expect(reply.authToken).toBe("token-2");
    expect(requestsTo("POST", "/meetings")).toHaveLength(1);
    expect(requestsTo("POST", "/meetings/meeting-1/participants")).toHaveLength(
      2,
    );
  });

  it("repeat request refreshes the token", async () => {
    const { ana, chatId, call } = await callOfTwo();
    fakeRealtimeKit();
    await tokenOf(ana, chatId, call.callId);

    const again = await tokenOf(ana, chatId, call.callId);

    const refresh = requestsTo(
      "POST",
      "/meetings/meeting-1/participants/participant-1/token",
    );
    expect(refresh).toHaveLength(1);
    expect(refresh[0]?.authorization).toBe("Bearer api-token");
    expect(again.authToken).toMatch(/^refreshed-/);
    expect(requestsTo("POST", "/meetings/meeting-1/participants")).toHaveLength(
      1,
    );
  });

  it("readmitted device keeps its participant", async () => {
    const { ana, chatId, call, anaSocket } = await callOfTwo();
    fakeRealtimeKit();
    await tokenOf(ana, chatId, call.callId);
    // Silent past the drop time: the room removes Ana's device.
    await silenceDevice(chatId, ana.deviceId, 60_000);
    await joinCall(anaSocket, ana.deviceId, chatId, call.callId);

    await tokenOf(ana, chatId, call.callId);

    const adds = requestsTo("POST", "/meetings/meeting-1/participants");
    expect(adds).toHaveLength(1);
    const refresh = requestsTo(
      "POST",
      "/meetings/meeting-1/participants/participant-1/token",
    );
    expect(refresh).toHaveLength(1);
  });

  it("concurrent first requests create one meeting", async () => {
    const { ana, ben, chatId, call } = await callOfTwo();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    fakeRealtimeKit(held);

    const both = Promise.all([
      tokenOf(ana, chatId, call.callId),
      tokenOf(ben, chatId, call.callId),
    ]);
    await vi.waitFor(() =>
      expect(requestsTo("POST", "/meetings")).toHaveLength(1),
    );
    release();
    const [anaReply, benReply] = await both;

    expect(anaReply.meetingId).toBe("meeting-1");
    expect(benReply.meetingId).toBe("meeting-1");
    expect(requestsTo("POST", "/meetings")).toHaveLength(1);
  });

  it("member outside the call gets no token", async () => {
    const { cara, chatId, call } = await callOfTwo();
    fakeRealtimeKit();

    const response = await tokenRequest(cara, chatId, call.callId);

    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toMatch(/not in the call/);
    expect(sent).toHaveLength(0);
  });

  it("non-member gets no token", async () => {
    const { chatId, call } = await callOfTwo();
    const outsider = await signUp();
    fakeRealtimeKit();

    const response = await tokenRequest(outsider, chatId, call.callId);

    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
    expect(sent).toHaveLength(0);
  });

  it("token of another call is rejected", async () => {
    const { ana, chatId } = await callOfTwo();
    fakeRealtimeKit();

    const other = "01900000-0000-7000-8000-000000000000";
    const response = await tokenRequest(ana, chatId, other);

    expect(response.status).toBe(404);
    expect(sent).toHaveLength(0);
  });

  it("call end ends the meeting", async () => {
    const { ana, chatId, call, anaSocket, benSocket } = await callOfTwo();
    fakeRealtimeKit();
    await tokenOf(ana, chatId, call.callId);

    benSocket.send({ type: "groupcall.leave", callId: call.callId });
    await nextGroupState(anaSocket, (info) => info.participants.length === 1);
    expect(requestsTo("PATCH", "/meetings/meeting-1")).toHaveLength(0);
    anaSocket.send({ type: "groupcall.leave", callId: call.callId });
    await benSocket.next("groupcall.ended");

    await vi.waitFor(() => {
      expect(requestsTo("PATCH", "/meetings/meeting-1")).toHaveLength(1);
    });
    const kickAll = requestsTo(
      "POST",
      "/meetings/meeting-1/active-session/kick-all",
    );
    expect(kickAll).toHaveLength(1);
    expect(kickAll[0]?.authorization).toBe("Bearer api-token");
    const [deactivate] = requestsTo("PATCH", "/meetings/meeting-1");
    expect(deactivate?.authorization).toBe("Bearer api-token");
    expect(deactivate?.body).toEqual({ status: "INACTIVE" });
  });

  it("removed member is kicked from the meeting", async () => {
    const { ana, ben, chatId, call, anaSocket } = await callOfTwo();
    fakeRealtimeKit();
    await tokenOf(ana, chatId, call.callId);
    await tokenOf(ben, chatId, call.callId);

    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      {
        cookie: ana.cookie,
      },
    );
    expect(removed.status).toBeLessThan(300);
    await nextGroupState(anaSocket, (info) => info.participants.length === 1);

    await vi.waitFor(() => {
      const kicks = requestsTo(
        "POST",
        "/meetings/meeting-1/active-session/kick",
      );
      expect(kicks).toHaveLength(1);
      expect(kicks[0]?.body).toEqual({
        custom_participant_ids: [`${ben.id}.${ben.deviceId}`],
        participant_ids: [],
      });
    });
    const response = await tokenRequest(ben, chatId, call.callId);
    expect(response.status).toBe(404);
  });

  it("SFU proxy rejects a RealtimeKit call", async () => {
    const { ana, chatId, call } = await callOfTwo();
    const path = `/api/chats/${chatId}/calls/${call.callId}/sfu/sessions/new`;
    const request = new Request(`http://localhost${path}`, {
      method: "POST",
      headers: { Cookie: ana.cookie, "Content-Type": "application/json" },
      body: "{}",
    });
    // SFU credentials set, so only the call's provider can reject it.
    const sfuEnv = { ...env, SFU_APP_ID: "sfu-app", SFU_APP_SECRET: "s" };

    const response = await worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      sfuEnv,
      createExecutionContext(),
    );

    expect(response.status).toBe(409);
    expect((await errorOf(response)).message).toMatch(/RealtimeKit/);
  });

  it("failed REST request becomes unavailable", async () => {
    const { ana, chatId, call } = await callOfTwo();
    vi.spyOn(globalThis, "fetch").mockResolvedValue(
      Response.json(
        { success: false, errors: [{ code: 1, message: "bad token" }] },
        { status: 401 },
      ),
    );

    const response = await tokenRequest(ana, chatId, call.callId);

    expect(response.status).toBe(503);
    expect((await errorOf(response)).message).toMatch(/try again/);
  });
});

describe("RealtimeKit configuration", () => {
  it("names every missing variable", () => {
    const partial = {
      ...env,
      REALTIMEKIT_APP_ID: "",
      REALTIMEKIT_PRESET: undefined,
    };
    expect(() => realtimeKitConfig(partial)).toThrow(
      /REALTIMEKIT_APP_ID, REALTIMEKIT_PRESET are missing/,
    );
  });

  it("rejects an unknown provider by name", () => {
    expect(() =>
      groupCallProvider({ ...env, GROUP_CALL_PROVIDER: "jitsi" }),
    ).toThrow(/GROUP_CALL_PROVIDER is "jitsi"/);
  });

  it("defaults the provider to sfu", () => {
    expect(groupCallProvider({ ...env, GROUP_CALL_PROVIDER: undefined })).toBe(
      "sfu",
    );
  });
});
