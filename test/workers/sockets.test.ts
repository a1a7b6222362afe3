import {
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  CLOSE_SESSION_REVOKED,
  PING_FRAME,
  PONG_FRAME,
} from "../../protocol/index.ts";
import type { UserHub } from "../../durable-objects/UserHub.ts";
import { SOCKET_IDLE_LIMIT_MS } from "../../durable-objects/user-hub/sockets.ts";
import {
  api,
  connect,
  errorOf,
  json,
  signUp,
  upgrade,
  type DevicesReplyBody,
} from "./helpers.ts";

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

describe("WebSocket upgrade", () => {
  it("requires a session", async () => {
    const response = await upgrade(undefined);
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthenticated");
  });

  it("rejects another origin with 403 bad_origin", async () => {
    const user = await signUp();
    const response = await upgrade(user.cookie, "https://evil.example");
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
  });

  it("accepts an origin listed in ALLOWED_ORIGINS", async () => {
    const user = await signUp();
    const response = await upgrade(user.cookie, "https://allowed.example");
    expect(response.status).toBe(101);
    response.webSocket?.accept();
    response.webSocket?.close();
  });

  it("sends ready with the ids", async () => {
    const user = await signUp();
    const response = await upgrade(user.cookie);
    const ws = response.webSocket;
    if (ws === null) throw new Error("no socket");
    const first = new Promise<string>((resolve) => {
      ws.addEventListener("message", (event) => resolve(String(event.data)), {
        once: true,
      });
    });
    ws.accept();
    const ready = JSON.parse(await first) as Record<string, unknown>;
    expect(ready.type).toBe("ready");
    expect(ready.userId).toBe(user.id);
    expect(ready.deviceId).toBe(user.deviceId);
    ws.close();
  });

  it("answers the ping frame with pong", async () => {
    const user = await signUp();
    const socket = await connect(user);
    const pong = new Promise<string>((resolve) => {
      socket.ws.addEventListener("message", (event) => {
        const data = String(event.data);
        // A device without KeyPackages gets keys.low right after ready.
        if (!data.includes('"keys.low"')) resolve(data);
      });
    });
    socket.send(PING_FRAME);
    expect(await pong).toBe(PONG_FRAME);
    socket.close();
  });
});

describe("device revocation", () => {
  it("closes the device's socket with 4001", async () => {
    const laptop = await signUp();
    const phone = await signUp(laptop.phone, "Phone");
    const socket = await connect(phone);
    const response = await api("DELETE", `/api/devices/${phone.deviceId}`, {
      cookie: laptop.cookie,
    });
    expect(response.status).toBe(204);
    expect(await socket.closed()).toBe(CLOSE_SESSION_REVOKED);
    expect((await api("GET", "/api/me", { cookie: phone.cookie })).status).toBe(
      401,
    );
    const devices = await json<DevicesReplyBody>(
      await api("GET", "/api/devices", { cookie: laptop.cookie }),
    );
    expect(devices.devices.map((d) => d.id)).toEqual([laptop.deviceId]);
    expect(devices.devices[0]?.current).toBe(true);
  });

  it("answers 404 for a device of someone else", async () => {
    const ana = await signUp();
    const ben = await signUp();
    const response = await api("DELETE", `/api/devices/${ben.deviceId}`, {
      cookie: ana.cookie,
    });
    expect(response.status).toBe(404);
    expect((await api("GET", "/api/me", { cookie: ben.cookie })).status).toBe(
      200,
    );
  });
});

describe("dead sockets", () => {
  it("are reported live until the idle limit passes", async () => {
    const user = await signUp();
    const socket = await connect(user);
    const stub = hubStub(user.id);
    const now = await runInDurableObject(stub, (hub: UserHub) =>
      hub.liveDeviceIds(),
    );
    expect(now).toEqual([user.deviceId]);
    const later = Date.now() + SOCKET_IDLE_LIMIT_MS + 1000;
    const after = await runInDurableObject(stub, (hub: UserHub) =>
      hub.liveDeviceIds(later),
    );
    expect(after).toEqual([]);
    socket.close();
  });

  it("are closed by the heartbeat alarm", async () => {
    const user = await signUp();
    const socket = await connect(user);
    const stub = hubStub(user.id);
    await runInDurableObject(stub, (_hub, state) => {
      const past = Date.now() - SOCKET_IDLE_LIMIT_MS - 1000;
      for (const ws of state.getWebSockets()) {
        ws.serializeAttachment({
          deviceId: user.deviceId,
          connectedAt: past,
          lastFrameAt: past,
        });
      }
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await socket.closed()).toBe(4000);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("keep a socket that pinged recently", async () => {
    const user = await signUp();
    const socket = await connect(user);
    const stub = hubStub(user.id);
    await runInDurableObject(stub, (_hub, state) => {
      const past = Date.now() - SOCKET_IDLE_LIMIT_MS - 1000;
      for (const ws of state.getWebSockets()) {
        ws.serializeAttachment({
          deviceId: user.deviceId,
          connectedAt: past,
          lastFrameAt: past,
        });
      }
    });
    const pong = new Promise<void>((resolve) => {
      socket.ws.addEventListener("message", () => resolve(), { once: true });
    });
    socket.send(PING_FRAME);
    await pong;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const live = await runInDurableObject(stub, (hub: UserHub) =>
      hub.liveDeviceIds(),
    );
    expect(live).toEqual([user.deviceId]);
    expect(socket.closeCode).toBeNull();
    socket.close();
  });
});
