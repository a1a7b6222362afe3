import {
  createExecutionContext,
  env,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { SEND_BURST } from "../../protocol/index.ts";
import { sendBudgetFrom } from "../../durable-objects/user-hub/sockets.ts";
import type { DevCounts } from "../../worker/dev-counters.ts";
import worker from "../../worker/index.ts";
import {
  api,
  connect,
  errorOf,
  json,
  openDirect,
  sendText,
  signUp,
  type TestSocket,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

async function readCounts(): Promise<DevCounts> {
  return json<DevCounts>(await api("GET", "/api/dev/counters"));
}

function productionFetch(method: string, path: string) {
  const request = new Request(`http://localhost${path}`, { method });
  const production = { ...env, ENVIRONMENT: "production" };
  return worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    production,
    createExecutionContext(),
  );
}

describe("development counters", () => {
  it("count the calls and rows of one send", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    sockets.push(anaSocket, benSocket);

    const reset = await api("DELETE", "/api/dev/counters");
    expect(reset.status).toBe(200);
    const ok = await sendText(anaSocket, chatId);
    await benSocket.next("message", (f) => f.message.id === ok.id);
    await anaSocket.next("message", (f) => f.message.id === ok.id);
    const counts = await readCounts();

    expect(counts.invocations["UserHub.webSocketMessage"]).toBe(1);
    expect(counts.invocations["ChatRoom.send"]).toBe(1);
    // The room calls Ben's hub; Ana's hub records the message itself.
    expect(counts.invocations["UserHub.deliver"]).toBe(1);
    // The GET that read the counts.
    expect(counts.invocations["Worker.fetch"]).toBe(1);
    // The message row and its entry in the unique index on `id`.
    expect(counts.rowsWritten.ChatRoom).toBe(2);
    // One inbox row in each hub.
    expect(counts.rowsWritten.UserHub).toBe(2);
  });

  it("start again from zero after DELETE", async () => {
    await api("GET", "/api/dev/counters");
    const reset = await json<DevCounts>(
      await api("DELETE", "/api/dev/counters"),
    );
    expect(reset.invocations).toEqual({});
    expect(reset.rowsWritten).toEqual({});
  });

  it("are absent in production", async () => {
    const read = await productionFetch("GET", "/api/dev/counters");
    expect(read.status).toBe(404);
    expect((await errorOf(read)).code).toBe("not_found");
    const reset = await productionFetch("DELETE", "/api/dev/counters");
    expect(reset.status).toBe(404);
  });

  it("count nothing in production", async () => {
    await api("DELETE", "/api/dev/counters");
    const context = createExecutionContext();
    const request = new Request("http://localhost/api/me");
    const production = { ...env, ENVIRONMENT: "production" };
    const response = await worker.fetch(
      request as Request<unknown, IncomingRequestCfProperties>,
      production,
      context,
    );
    await waitOnExecutionContext(context);
    expect(response.status).toBe(401);
    const counts = await readCounts();
    expect(counts.invocations).toEqual({ "Worker.fetch": 1 });
  });
});

describe("send budget", () => {
  it("defaults to the protocol limits", () => {
    const budget = sendBudgetFrom({});
    for (let i = 0; i < SEND_BURST; i += 1) {
      expect(budget.take("device", 0)).toBe(0);
    }
    expect(budget.take("device", 0)).toBe(1);
  });

  it("follows SENDS_PER_SECOND and SEND_BURST", () => {
    const budget = sendBudgetFrom({
      SENDS_PER_SECOND: "1000",
      SEND_BURST: "3",
    });
    for (let i = 0; i < 3; i += 1) {
      expect(budget.take("device", 0)).toBe(0);
    }
    expect(budget.take("device", 0)).toBe(1);
    // One token comes back per millisecond at 1000 per second.
    expect(budget.take("device", 1)).toBe(0);
  });

  it("ignores an invalid value", () => {
    const budget = sendBudgetFrom({
      SENDS_PER_SECOND: "fast",
      SEND_BURST: "0",
    });
    for (let i = 0; i < SEND_BURST; i += 1) {
      expect(budget.take("device", 0)).toBe(0);
    }
    expect(budget.take("device", 0)).toBe(1);
  });
});
