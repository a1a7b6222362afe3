import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  SFU_SESSION_WINDOW_MS,
  SFU_SESSIONS_PER_WINDOW,
} from "../../protocol/index.ts";
import worker from "../../worker/index.ts";
import { joinCall, nextGroupState } from "./group-call-helpers.ts";
import {
  connect,
  createGroup,
  errorOf,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  vi.restoreAllMocks();
  for (const socket of sockets.splice(0)) socket.close();
});

const sfuEnv = {
  ...env,
  SFU_API_URL: "https://sfu.example/v1/",
  SFU_APP_ID: "app123",
  SFU_APP_SECRET: "app-secret",
};

const OFFER = { type: "offer", sdp: "v=0\r\n" } as const;

/** Requests that reached the fake SFU. */
let sent: Request[] = [];

/**
 * Replaces the outbound fetch with a fake SFU: sessions/new creates
 * "session-<n>", and other requests get `reply` (default 200 {}).
 */
function fakeSfu(reply?: () => Response | Promise<Response>): void {
  sent = [];
  let sessions = 0;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    sent.push(new Request(input, init));
    if (reply !== undefined) return reply();
    if (request.url.endsWith("/sessions/new")) {
      sessions += 1;
      const body = { sessionId: `session-${sessions}-${crypto.randomUUID()}` };
      return new Response(JSON.stringify(body), { status: 201 });
    }
    return new Response(JSON.stringify({ ok: true }), { status: 200 });
  });
}

async function proxy(
  user: TestUser,
  method: "POST" | "PUT" | "DELETE",
  path: string,
  body: unknown,
  testEnv: typeof env = sfuEnv,
): Promise<Response> {
  const request = new Request(`http://localhost${path}`, {
    method,
    headers: { Cookie: user.cookie, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    testEnv,
    createExecutionContext(),
  );
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
  const base = `/api/chats/${chatId}/calls/${call.callId}/sfu`;
  return { ana, ben, cara, chatId, callId: call.callId, base, anaSocket };
}

async function openSession(user: TestUser, base: string): Promise<string> {
  const response = await proxy(user, "POST", `${base}/sessions/new`, {});
  expect(response.status).toBe(201);
  const { sessionId } = await response.json<{ sessionId: string }>();
  return sessionId;
}

describe("SFU proxy requests", () => {
  it("sessions/new goes to the app path with the secret", async () => {
    const { ana, base, callId, anaSocket } = await callOfTwo();
    fakeSfu();

    const response = await proxy(ana, "POST", `${base}/sessions/new`, {
      sessionDescription: OFFER,
    });

    expect(response.status).toBe(201);
    const { sessionId } = await response.json<{ sessionId: string }>();
    expect(sent).toHaveLength(1);
    const request = sent[0] as Request;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://sfu.example/v1/apps/app123/sessions/new");
    expect(request.headers.get("Authorization")).toBe("Bearer app-secret");
    expect(await request.json()).toEqual({ sessionDescription: OFFER });
    // The room recorded the session as Ana's, so she may announce it.
    anaSocket.send({
      type: "groupcall.update",
      callId,
      sessionId,
      tracks: [{ trackName: "audio-1", kind: "audio" }],
      audio: true,
      video: false,
      screen: false,
    });
    const state = await nextGroupState(anaSocket, (call) =>
      call.participants.some((p) => p.sessionId === sessionId),
    );
    expect(state.call.participants[0]?.tracks).toHaveLength(1);
  });

  it("pulls tracks of another participant", async () => {
    const { ana, ben, base } = await callOfTwo();
    fakeSfu();
    const anaSession = await openSession(ana, base);
    const benSession = await openSession(ben, base);
    const body = {
      tracks: [{ location: "remote", sessionId: anaSession, trackName: "a1" }],
    };

    const response = await proxy(
      ben,
      "POST",
      `${base}/sessions/${benSession}/tracks/new`,
      body,
    );

    expect(response.status).toBe(200);
    const request = sent[2] as Request;
    expect(request.url).toBe(
      `https://sfu.example/v1/apps/app123/sessions/${benSession}/tracks/new`,
    );
    expect(await request.json()).toEqual(body);
  });

  it("renegotiate and close reach the session", async () => {
    const { ana, base } = await callOfTwo();
    fakeSfu();
    const session = await openSession(ana, base);
    const answer = { type: "answer", sdp: "v=0\r\n" };

    const renegotiated = await proxy(
      ana,
      "PUT",
      `${base}/sessions/${session}/renegotiate`,
      { sessionDescription: answer },
    );
    const closed = await proxy(
      ana,
      "PUT",
      `${base}/sessions/${session}/tracks/close`,
      { tracks: [{ mid: "0" }], force: true },
    );

    expect(renegotiated.status).toBe(200);
    expect(closed.status).toBe(200);
    expect(sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual([
      "POST /v1/apps/app123/sessions/new",
      `PUT /v1/apps/app123/sessions/${session}/renegotiate`,
      `PUT /v1/apps/app123/sessions/${session}/tracks/close`,
    ]);
  });
});

describe("SFU proxy access", () => {
  it("rejects members and strangers outside the call", async () => {
    const { cara, base } = await callOfTwo();
    const stranger = await signUp();
    fakeSfu();

    const member = await proxy(cara, "POST", `${base}/sessions/new`, {});
    const outsider = await proxy(stranger, "POST", `${base}/sessions/new`, {});

    expect(member.status).toBe(404);
    expect(outsider.status).toBe(404);
    expect(sent).toHaveLength(0);
  });

  it("rejects another device's session", async () => {
    const { ana, ben, base } = await callOfTwo();
    fakeSfu();
    const anaSession = await openSession(ana, base);

    const response = await proxy(
      ben,
      "PUT",
      `${base}/sessions/${anaSession}/renegotiate`,
      { sessionDescription: { type: "answer", sdp: "v=0\r\n" } },
    );

    expect(response.status).toBe(403);
    expect((await errorOf(response)).field).toBe("sessionId");
    expect(sent).toHaveLength(1);
  });

  it("rejects pulls from a session of another call", async () => {
    const first = await callOfTwo();
    const second = await callOfTwo();
    fakeSfu();
    const own = await openSession(first.ana, first.base);
    const foreign = await openSession(second.ana, second.base);

    const response = await proxy(
      first.ana,
      "POST",
      `${first.base}/sessions/${own}/tracks/new`,
      { tracks: [{ location: "remote", sessionId: foreign, trackName: "a" }] },
    );

    expect(response.status).toBe(403);
    expect((await errorOf(response)).field).toBe("tracks.sessionId");
    expect(sent).toHaveLength(2);
  });

  it("names the invalid field of a body", async () => {
    const { ana, base } = await callOfTwo();
    fakeSfu();
    const session = await openSession(ana, base);

    const response = await proxy(
      ana,
      "POST",
      `${base}/sessions/${session}/tracks/new`,
      { tracks: [{ location: "local", mid: "0", trackName: "bad name" }] },
    );

    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("tracks.0.trackName");
    expect(sent).toHaveLength(1);
  });
});

describe("SFU proxy hostile requests", () => {
  it("rejects a stranger using a participant's session", async () => {
    const { ana, base } = await callOfTwo();
    const stranger = await signUp();
    fakeSfu();
    const anaSession = await openSession(ana, base);
    const requests = [
      {
        method: "POST" as const,
        path: "tracks/new",
        body: { tracks: [{ location: "local", mid: "0", trackName: "a" }] },
      },
      {
        method: "PUT" as const,
        path: "renegotiate",
        body: { sessionDescription: { type: "answer", sdp: "v=0\r\n" } },
      },
      {
        method: "PUT" as const,
        path: "tracks/close",
        body: { tracks: [{ mid: "0" }], force: true },
      },
    ];

    for (const { method, path, body } of requests) {
      const response = await proxy(
        stranger,
        method,
        `${base}/sessions/${anaSession}/${path}`,
        body,
      );
      expect(response.status, path).toBe(404);
    }
    expect(sent).toHaveLength(1);
  });

  it("rejects a removed member's own session", async () => {
    const { ana, ben, chatId, base } = await callOfTwo();
    fakeSfu();
    const benSession = await openSession(ben, base);
    const removed = await proxy(
      ana,
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      undefined,
    );
    expect(removed.status).toBe(200);

    const response = await proxy(
      ben,
      "POST",
      `${base}/sessions/${benSession}/tracks/new`,
      { tracks: [{ location: "local", mid: "0", trackName: "a" }] },
    );

    expect(response.status).toBe(404);
    expect(sent).toHaveLength(1);
  });

  it("rejects bad bodies before the SFU", async () => {
    const { ana, base } = await callOfTwo();
    fakeSfu();
    const session = await openSession(ana, base);
    const tracksPath = `${base}/sessions/${session}/tracks/new`;
    const cases = [
      { name: "no tracks", status: 400, body: { tracks: [] } },
      { name: "no body", status: 400, body: undefined },
      {
        name: "unknown location",
        status: 400,
        body: { tracks: [{ location: "elsewhere", trackName: "a" }] },
      },
      {
        // A value over its limit gets too_large, as elsewhere in the API.
        name: "long mid",
        status: 413,
        body: {
          tracks: [{ location: "local", mid: "0".repeat(17), trackName: "a" }],
        },
      },
      {
        name: "65 tracks",
        status: 413,
        body: {
          tracks: Array.from({ length: 65 }, (_, index) => ({
            location: "local",
            mid: String(index),
            trackName: `t${index}`,
          })),
        },
      },
      {
        name: "offer of another type",
        status: 400,
        body: {
          sessionDescription: { type: "pranswer", sdp: "v=0\r\n" },
          tracks: [{ location: "local", mid: "0", trackName: "a" }],
        },
      },
    ];

    for (const { name, status, body } of cases) {
      const response = await proxy(ana, "POST", tracksPath, body);
      expect(response.status, name).toBe(status);
    }
    const longId = await proxy(
      ana,
      "PUT",
      `${base}/sessions/${"s".repeat(129)}/renegotiate`,
      { sessionDescription: { type: "answer", sdp: "v=0\r\n" } },
    );
    expect(longId.status).toBe(400);
    expect((await errorOf(longId)).field).toBe("sessionId");
    expect(sent).toHaveLength(1);
  });
});

describe("SFU proxy failures", () => {
  it("passes SFU errors through", async () => {
    const { ana, base } = await callOfTwo();
    const session = await (async () => {
      fakeSfu();
      return openSession(ana, base);
    })();
    vi.restoreAllMocks();
    const failure = {
      errorCode: "session_not_found",
      errorDescription: "The session is closed.",
    };
    fakeSfu(() => new Response(JSON.stringify(failure), { status: 404 }));

    const response = await proxy(
      ana,
      "PUT",
      `${base}/sessions/${session}/renegotiate`,
      { sessionDescription: { type: "answer", sdp: "v=0\r\n" } },
    );

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual(failure);
  });

  it("keeps Retry-After of a 429", async () => {
    const { ana, base } = await callOfTwo();
    fakeSfu(
      () =>
        new Response(
          JSON.stringify({ errorCode: "rate_limited", errorDescription: "x" }),
          { status: 429, headers: { "Retry-After": "7" } },
        ),
    );

    const response = await proxy(ana, "POST", `${base}/sessions/new`, {});

    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("7");
    expect((await response.json<{ errorCode: string }>()).errorCode).toBe(
      "rate_limited",
    );
  });

  it("limits new sessions per person", async () => {
    const { ana, ben, base } = await callOfTwo();
    fakeSfu();
    // Reconnects in a burst stay under the limit.
    for (let i = 0; i < SFU_SESSIONS_PER_WINDOW; i += 1) {
      await openSession(ana, base);
    }
    expect(sent).toHaveLength(SFU_SESSIONS_PER_WINDOW);

    const response = await proxy(ana, "POST", `${base}/sessions/new`, {});

    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(SFU_SESSION_WINDOW_MS / 1000);
    const error = await errorOf(response);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBe(retryAfter);
    expect(sent).toHaveLength(SFU_SESSIONS_PER_WINDOW);
    // Another person in the same call still opens a session.
    await openSession(ben, base);
    expect(sent).toHaveLength(SFU_SESSIONS_PER_WINDOW + 1);
  });

  it("returns 502 when the SFU is unreachable", async () => {
    const { ana, base } = await callOfTwo();
    vi.spyOn(globalThis, "fetch").mockRejectedValue(
      new TypeError("connection refused"),
    );

    const response = await proxy(ana, "POST", `${base}/sessions/new`, {});

    expect(response.status).toBe(502);
    const body = await response.json<{ errorDescription: string }>();
    expect(body.errorDescription).toContain("could not reach the SFU");
  });

  it("returns 503 without SFU configuration", async () => {
    const { ana, base } = await callOfTwo();
    // A local .dev.vars may set the variables for the tests' env too.
    const unset = { ...env, SFU_APP_ID: undefined, SFU_APP_SECRET: undefined };

    const response = await proxy(
      ana,
      "POST",
      `${base}/sessions/new`,
      {},
      unset,
    );

    expect(response.status).toBe(503);
    const error = await errorOf(response);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("SFU_APP_ID");
  });
});
