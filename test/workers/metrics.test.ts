import { afterEach, describe, expect, it, vi } from "vitest";
import type { DevCounts } from "../../worker/dev-counters.ts";
import { countEvent } from "../../worker/metrics.ts";
import { nextCallEntry, nextEnded, startCall } from "./call-helpers.ts";
import {
  api,
  connect,
  createGroup,
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

async function resetCounts(): Promise<void> {
  expect((await api("DELETE", "/api/dev/counters")).status).toBe(200);
}

async function readEvents(): Promise<DevCounts["events"]> {
  const counts = await json<DevCounts>(await api("GET", "/api/dev/counters"));
  return counts.events;
}

describe("dashboard counters", () => {
  it("count a group message and its deliveries", async () => {
    const [ana, ben, cai] = [await signUp(), await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben, cai]);
    const [anaSocket, benSocket, caiSocket] = [
      await connect(ana),
      await connect(ben),
      await connect(cai),
    ];
    sockets.push(anaSocket, benSocket, caiSocket);

    await resetCounts();
    const ok = await sendText(anaSocket, chatId);
    await benSocket.next("message", (frame) => frame.message.id === ok.id);
    await caiSocket.next("message", (frame) => frame.message.id === ok.id);
    const events = await readEvents();

    expect(events["message.stored:group"]).toBe(1);
    expect(events["message.delivered"]).toBe(2);
    expect(events["message.delivery_failed"]).toBeUndefined();
  });

  it("count each opened socket", async () => {
    const user = await signUp();
    await resetCounts();
    sockets.push(await connect(user), await connect(user));
    expect((await readEvents())["socket.opened"]).toBe(2);
  });

  it("count a call's start and its outcome", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await openDirect(ana, ben);
    const anaSocket = await connect(ana);
    const benSocket = await connect(ben);
    sockets.push(anaSocket, benSocket);

    await resetCounts();
    const callId = await startCall(anaSocket, chatId, true);
    await benSocket.next("call.incoming");
    benSocket.send({ type: "call.decline", callId });
    await nextEnded(anaSocket, callId);
    await nextCallEntry(anaSocket, callId);
    const events = await readEvents();

    expect(events["call.started:video"]).toBe(1);
    expect(events["call.ended:declined"]).toBe(1);
  });
});

describe("countEvent", () => {
  it("writes one Analytics Engine data point", () => {
    const writeDataPoint = vi.fn();
    const env = {
      ENVIRONMENT: "production",
      METRICS: { writeDataPoint } as unknown as AnalyticsEngineDataset,
    };
    countEvent(env, "message.delivered", { amount: 3 });
    countEvent(env, "push.sent", { detail: "message" });

    expect(writeDataPoint.mock.calls).toEqual([
      [
        {
          indexes: ["message.delivered"],
          blobs: ["message.delivered", ""],
          doubles: [3],
        },
      ],
      [
        {
          indexes: ["push.sent"],
          blobs: ["push.sent", "message"],
          doubles: [1],
        },
      ],
    ]);
  });

  it("writes nothing without the binding", () => {
    expect(() =>
      countEvent({ ENVIRONMENT: "production" }, "socket.opened"),
    ).not.toThrow();
  });
});
