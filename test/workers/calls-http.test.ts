import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ICE_SERVER_REQUESTS_PER_HOUR,
  IceServersResponse,
  type IceServer,
} from "../../protocol/index.ts";
import { TURN_CREDENTIAL_TTL_S } from "../../worker/turn.ts";
import worker from "../../worker/index.ts";
import { subscribe, waitForPushes } from "./push-helpers.ts";
import { nextEnded, nextState, startCall } from "./call-helpers.ts";
import {
  api,
  connect,
  errorOf,
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
describe("call pushes", () => {
  it("push a ringing call to an offline callee and its end", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const benPush = await subscribe(ben);
    const anaSocket = await open(ana);

    const callId = await startCall(anaSocket, chatId, true);

    const [ring] = await waitForPushes(benPush, 1);
    expect(ring?.payload).toMatchObject({
      v: 1,
      type: "call",
      chatId,
      callId,
      callerId: ana.id,
      video: true,
    });
    expect(ring?.ttl).toBe("45");

    anaSocket.send({ type: "call.hangup", callId });
    await nextEnded(anaSocket, callId);

    const pushes = await waitForPushes(benPush, 2);
    expect(pushes[1]?.payload).toEqual({
      v: 1,
      type: "call.end",
      chatId,
      callId,
      outcome: "cancelled",
    });
    expect(anaSocket.frames.some((f) => f.type === "call.state")).toBe(false);
  });
});

describe("call decline route", () => {
  it("declines a call ringing this person", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const callId = await startCall(anaSocket, chatId);

    const declined = await api("POST", `/api/calls/${callId}/decline`, {
      cookie: ben.cookie,
    });

    expect(declined.status).toBe(204);
    const ended = await nextEnded(anaSocket, callId);
    expect(ended.outcome).toBe("declined");
    const again = await api("POST", `/api/calls/${callId}/decline`, {
      cookie: ben.cookie,
    });
    expect(again.status).toBe(404);
  });

  it("returns 404 to the caller and strangers", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const cara = await signUp();
    const chatId = await openDirect(ana, ben);
    const anaSocket = await open(ana);
    const benSocket = await open(ben);
    const callId = await startCall(anaSocket, chatId);
    await benSocket.next("call.incoming");

    for (const person of [ana, cara]) {
      const response = await api("POST", `/api/calls/${callId}/decline`, {
        cookie: person.cookie,
      });
      expect(response.status).toBe(404);
    }
    benSocket.send({ type: "call.accept", callId });
    await nextState(anaSocket, callId, "accepted");
  });

  it("requires a session", async () => {
    const response = await api(
      "POST",
      `/api/calls/${crypto.randomUUID()}/decline`,
    );
    expect(response.status).toBe(401);
  });
});

describe("ICE servers route", () => {
  const TURN_SERVERS: IceServer[] = [
    {
      urls: ["turn:turn.example:3478?transport=udp"],
      username: "generated-user",
      credential: "generated-credential",
    },
  ];
  const turnEnv = {
    ...env,
    STUN_URLS: "stun:stun.example:3478, stun:stun.example:53",
    TURN_KEY_ID: "key123",
    TURN_KEY_API_TOKEN: "secret-token",
    TURN_API_URL: "https://turn-api.example/v1",
  };

  async function iceServersIn(
    testEnv: typeof env,
    user: TestUser,
  ): Promise<Response> {
    const request = new Request("http://localhost/api/calls/ice-servers", {
      headers: { Cookie: user.cookie },
    });
    return worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      testEnv,
      createExecutionContext(),
    );
  }

  it("adds TURN credentials from the TURN service", async () => {
    const user = await signUp();
    const sent: Request[] = [];
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation((input, init) => {
        sent.push(new Request(input, init));
        const body = JSON.stringify({ iceServers: TURN_SERVERS });
        return Promise.resolve(new Response(body, { status: 201 }));
      });
    let response: Response;
    try {
      response = await iceServersIn(turnEnv, user);
    } finally {
      spy.mockRestore();
    }

    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("secret-token");
    const body = IceServersResponse.parse(JSON.parse(text));
    expect(body.iceServers).toEqual([
      { urls: ["stun:stun.example:3478", "stun:stun.example:53"] },
      ...TURN_SERVERS,
    ]);
    expect(body.ttlSeconds).toBe(TURN_CREDENTIAL_TTL_S);
    expect(sent).toHaveLength(1);
    const request = sent[0] as Request;
    expect(request.method).toBe("POST");
    expect(request.url).toBe(
      "https://turn-api.example/v1/turn/keys/key123/credentials/generate-ice-servers",
    );
    expect(request.headers.get("Authorization")).toBe("Bearer secret-token");
    expect(await request.json()).toEqual({ ttl: TURN_CREDENTIAL_TTL_S });
  });

  it("limits TURN credential requests per person", async () => {
    const user = await signUp();
    let issued = 0;
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(() => {
      issued += 1;
      const body = JSON.stringify({ iceServers: TURN_SERVERS });
      return Promise.resolve(new Response(body, { status: 201 }));
    });
    const statuses: number[] = [];
    let last: Response | undefined;
    try {
      for (let i = 0; i <= ICE_SERVER_REQUESTS_PER_HOUR; i++) {
        last = await iceServersIn(turnEnv, user);
        statuses.push(last.status);
        if (i < ICE_SERVER_REQUESTS_PER_HOUR) await last.body?.cancel();
      }
    } finally {
      spy.mockRestore();
    }

    expect(statuses.filter((status) => status === 200)).toHaveLength(
      ICE_SERVER_REQUESTS_PER_HOUR,
    );
    expect(statuses.at(-1)).toBe(429);
    expect(issued).toBe(ICE_SERVER_REQUESTS_PER_HOUR);
    const error = await errorOf(last as Response);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
  });

  it("falls back to STUN when the TURN service fails", async () => {
    const user = await signUp();
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValue(new Response("nope", { status: 500 }));
    let response: Response;
    try {
      response = await iceServersIn(turnEnv, user);
    } finally {
      spy.mockRestore();
    }

    expect(response.status).toBe(200);
    const body = IceServersResponse.parse(await response.json());
    expect(body.iceServers).toEqual([
      { urls: ["stun:stun.example:3478", "stun:stun.example:53"] },
    ]);
    expect(body.ttlSeconds).toBeGreaterThan(0);
  });

  it("returns an empty list without configuration", async () => {
    const user = await signUp();

    const response = await api("GET", "/api/calls/ice-servers", {
      cookie: user.cookie,
    });

    expect(response.status).toBe(200);
    const body = IceServersResponse.parse(await response.json());
    expect(body.iceServers).toEqual([]);
  });

  it("requires a session", async () => {
    const response = await api("GET", "/api/calls/ice-servers");
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });
});
