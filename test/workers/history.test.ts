import { env, runInDurableObject, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  HISTORY_KEEP_MS,
  HISTORY_WAIT_MS,
  MAX_HISTORY_ARCHIVE_BYTES,
  type HistoryEnvelope,
  type HistoryStatus,
  type OwnClaimReply,
} from "../../protocol/index.ts";
import { historyArchiveKey } from "../../durable-objects/user-hub/history-archives.ts";
import { base64url } from "../../worker/crypto.ts";
import {
  api,
  connect,
  errorOf,
  json,
  ORIGIN,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";

const sockets: TestSocket[] = [];

async function open(user: TestUser): Promise<TestSocket> {
  const socket = await connect(user);
  sockets.push(socket);
  return socket;
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Signs in a first device, then `names.length` more of the same person. */
async function person(...names: string[]): Promise<TestUser[]> {
  const first = await signUp(undefined, "Phone");
  const others: TestUser[] = [];
  for (const name of names) others.push(await signUp(first.phone, name));
  return [first, ...others];
}

async function status(user: TestUser): Promise<HistoryStatus> {
  const response = await api("GET", "/api/history", { cookie: user.cookie });
  expect(response.status).toBe(200);
  return json<HistoryStatus>(response);
}

function archiveBytes(length: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + 7) % 256);
}

async function putArchive(
  uploader: TestUser,
  targetId: string,
  bytes: Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/devices/${targetId}/history/archive`, {
    method: "PUT",
    headers: {
      Cookie: uploader.cookie,
      "Content-Type": "application/octet-stream",
      ...headers,
    },
    body: bytes,
  });
}

/**
 * Uploads `actual` bytes as a stream while Content-Length declares
 * `declared`, which only a broken or hostile client would send. The
 * runtime logs the dropped connection as an uncaught exception.
 */
async function putStream(
  uploader: TestUser,
  targetId: string,
  actual: number,
  declared: number,
): Promise<Response> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(archiveBytes(actual));
      controller.close();
    },
  });
  return SELF.fetch(`${ORIGIN}/api/devices/${targetId}/history/archive`, {
    method: "PUT",
    headers: { Cookie: uploader.cookie, "Content-Length": String(declared) },
    body,
  });
}

async function envelopeFor(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<HistoryEnvelope> {
  const hash = await crypto.subtle.digest("SHA-256", bytes);
  return {
    keyPackageRef: base64url(crypto.getRandomValues(new Uint8Array(32))),
    enc: base64url(crypto.getRandomValues(new Uint8Array(32))),
    sealed: base64url(crypto.getRandomValues(new Uint8Array(48))),
    sha256: base64url(new Uint8Array(hash)),
    archiveBytes: bytes.byteLength,
    // The server stores the signature; only the new device checks it.
    signature: base64url(crypto.getRandomValues(new Uint8Array(64))),
  };
}

async function postEnvelope(
  uploader: TestUser,
  targetId: string,
  envelope: HistoryEnvelope,
): Promise<Response> {
  return api("POST", `/api/devices/${targetId}/history`, {
    cookie: uploader.cookie,
    body: envelope,
  });
}

/** Uploads an archive and its envelope, failing on an error status. */
async function send(
  uploader: TestUser,
  target: TestUser,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<HistoryEnvelope> {
  expect((await putArchive(uploader, target.deviceId, bytes)).status).toBe(204);
  const envelope = await envelopeFor(bytes);
  const response = await postEnvelope(uploader, target.deviceId, envelope);
  expect(response.status).toBe(200);
  return envelope;
}

function archiveKey(uploader: TestUser, target: TestUser): string {
  return historyArchiveKey(target.id, target.deviceId, uploader.deviceId);
}

function hubStub(userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

/** Moves a device's transfer `ms` into the past, as if time had passed. */
async function age(user: TestUser, ms: number): Promise<void> {
  await runInDurableObject(hubStub(user.id), (_hub, state) => {
    state.storage.sql.exec(
      `UPDATE history_transfer SET updated_at = updated_at - ?
       WHERE device_id = ?`,
      ms,
      user.deviceId,
    );
  });
}

async function transferRows(user: TestUser): Promise<number> {
  return runInDurableObject(hubStub(user.id), (_hub, state) => {
    return state.storage.sql
      .exec<{ n: number }>(
        "SELECT COUNT(*) AS n FROM history_transfer WHERE device_id = ?",
        user.deviceId,
      )
      .one().n;
  });
}

/**
 * Makes a round trip on `socket`. Frames on one socket arrive in order,
 * so every frame the server sent before the reply is queued afterwards.
 */
async function roundTrip(socket: TestSocket): Promise<void> {
  const rid = crypto.randomUUID();
  socket.send({ type: "sync", rid, chats: [] });
  await socket.next("sync.done", (frame) => frame.rid === rid);
}

function requestFrames(socket: TestSocket) {
  return socket.frames.filter((frame) => frame.type === "history.request");
}

describe("history transfer state", () => {
  it("starts as none on a first device", async () => {
    const [phone] = await person();
    const reply = await status(phone!);
    expect(reply.state).toBe("none");
    expect(reply.envelope).toBeNull();
    expect(reply.skipped).toBe(false);
  });

  it("waits on a second device and asks the first", async () => {
    const phone = await signUp(undefined, "Phone");
    const socket = await open(phone);
    const laptop = await signUp(phone.phone, "Laptop");

    expect((await status(laptop)).state).toBe("waiting");
    expect((await status(phone)).state).toBe("none");
    const frame = await socket.next("history.request");
    expect(frame.deviceId).toBe(laptop.deviceId);
    expect(frame.deviceName).toBe("Laptop");
  });

  it("asks a device that connects later", async () => {
    const [phone, laptop] = await person("Laptop");
    const socket = await open(phone!);
    const frame = await socket.next("history.request");
    expect(frame.deviceId).toBe(laptop!.deviceId);
    expect(frame.deviceName).toBe("Laptop");
  });

  it("does not ask the waiting device itself", async () => {
    const [, laptop] = await person("Laptop");
    const socket = await open(laptop!);
    await roundTrip(socket);
    expect(requestFrames(socket)).toEqual([]);
  });

  it("stops asking once the transfer is done", async () => {
    const [phone, laptop] = await person("Laptop");
    await send(phone!, laptop!, archiveBytes(100));
    const socket = await open(phone!);
    await roundTrip(socket);
    expect(requestFrames(socket)).toEqual([]);
  });

  it("skips a waiting transfer on delete", async () => {
    const [, laptop] = await person("Laptop");
    const response = await api("DELETE", "/api/history", {
      cookie: laptop!.cookie,
    });
    expect(response.status).toBe(200);
    const reply = await json<HistoryStatus>(response);
    expect(reply.state).toBe("done");
    expect(reply.skipped).toBe(true);
    expect((await status(laptop!)).state).toBe("done");
  });

  it("leaves a none transfer unchanged on delete", async () => {
    const [phone] = await person();
    const response = await api("DELETE", "/api/history", {
      cookie: phone!.cookie,
    });
    expect(response.status).toBe(200);
    expect((await json<HistoryStatus>(response)).state).toBe("none");
  });
});

describe("own KeyPackage claim", () => {
  async function claimOwn(caller: TestUser, deviceId: string) {
    return api("POST", "/api/keys/own/claim", {
      cookie: caller.cookie,
      body: { deviceId },
    });
  }

  it("returns a KeyPackage of the other device", async () => {
    const [phone, laptop] = await person("Laptop");
    const published = await api("POST", "/api/keys", {
      cookie: laptop!.cookie,
      body: { keyPackages: ["stockOne"], lastResort: "lastResortOne" },
    });
    expect(published.status).toBe(200);

    const first = await claimOwn(phone!, laptop!.deviceId);
    expect(first.status).toBe(200);
    expect((await json<OwnClaimReply>(first)).keyPackage).toBe("stockOne");
    const second = await claimOwn(phone!, laptop!.deviceId);
    expect(second.status).toBe(200);
    expect((await json<OwnClaimReply>(second)).keyPackage).toBe(
      "lastResortOne",
    );
  });

  it("rejects the caller's own device", async () => {
    const [phone] = await person("Laptop");
    const response = await claimOwn(phone!, phone!.deviceId);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("deviceId");
  });

  it("hides another account's device", async () => {
    const [phone] = await person();
    const stranger = await signUp();
    await api("POST", "/api/keys", {
      cookie: stranger.cookie,
      body: { keyPackages: ["strangerStock"] },
    });
    const response = await claimOwn(phone!, stranger.deviceId);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });

  it("reports a device without KeyPackages", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await claimOwn(phone!, laptop!.deviceId);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toContain("no KeyPackages");
  });
});

describe("history archive upload", () => {
  it("rejects a Content-Length over the limit", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await putArchive(
      phone!,
      laptop!.deviceId,
      archiveBytes(10),
      { "Content-Length": String(MAX_HISTORY_ARCHIVE_BYTES + 1) },
    );
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("too_large");
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("rejects a body longer than declared", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await putStream(phone!, laptop!.deviceId, 20, 10);
    expect(response.status).toBe(413);
    expect((await errorOf(response)).message).toContain("longer than");
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("rejects a body shorter than declared", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await putStream(phone!, laptop!.deviceId, 10, 20);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("after 10 of the 20");
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("rejects an empty archive", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await putArchive(
      phone!,
      laptop!.deviceId,
      new Uint8Array(0),
    );
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("invalid_request");
  });

  it("hides another account's device", async () => {
    const [, laptop] = await person("Laptop");
    const stranger = await signUp();
    const response = await putArchive(
      stranger,
      laptop!.deviceId,
      archiveBytes(10),
    );
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });

  it("rejects the uploader's own device", async () => {
    const [, laptop] = await person("Laptop");
    const response = await putArchive(
      laptop!,
      laptop!.deviceId,
      archiveBytes(10),
    );
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });

  it("rejects a device that is not waiting", async () => {
    const [phone, laptop] = await person("Laptop");
    const response = await putArchive(
      laptop!,
      phone!.deviceId,
      archiveBytes(10),
    );
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe("conflict");
  });

  it("stores the bytes under the archive key", async () => {
    const [phone, laptop] = await person("Laptop");
    const bytes = archiveBytes(1000);
    const response = await putArchive(phone!, laptop!.deviceId, bytes);
    expect(response.status).toBe(204);
    const object = await env.MEDIA.get(archiveKey(phone!, laptop!));
    expect(object?.size).toBe(1000);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
  });
});

describe("history envelope", () => {
  it("rejects an envelope without an archive", async () => {
    const [phone, laptop] = await person("Laptop");
    const envelope = await envelopeFor(archiveBytes(100));
    const response = await postEnvelope(phone!, laptop!.deviceId, envelope);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("No archive");
    expect((await status(laptop!)).state).toBe("waiting");
  });

  it("rejects a size mismatch and deletes the archive", async () => {
    const [phone, laptop] = await person("Laptop");
    const bytes = archiveBytes(100);
    expect((await putArchive(phone!, laptop!.deviceId, bytes)).status).toBe(
      204,
    );
    const envelope = { ...(await envelopeFor(bytes)), archiveBytes: 101 };
    const response = await postEnvelope(phone!, laptop!.deviceId, envelope);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.field).toBe("archiveBytes");
    expect(error.message).toContain("101");
    expect((await status(laptop!)).state).toBe("waiting");
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("rejects an invalid envelope and deletes the archive", async () => {
    const [phone, laptop] = await person("Laptop");
    const bytes = archiveBytes(100);
    expect((await putArchive(phone!, laptop!.deviceId, bytes)).status).toBe(
      204,
    );
    const envelope = { ...(await envelopeFor(bytes)), sha256: "short" };
    const response = await postEnvelope(phone!, laptop!.deviceId, envelope);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("sha256");
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("accepts a repeated envelope from the winner", async () => {
    const [phone, laptop] = await person("Laptop");
    const envelope = await send(phone!, laptop!, archiveBytes(100));
    const again = await postEnvelope(phone!, laptop!.deviceId, envelope);
    expect(again.status).toBe(200);
    expect((await json<HistoryStatus>(again)).state).toBe("ready");

    const changed = { ...envelope, enc: "otherEnc" };
    const conflict = await postEnvelope(phone!, laptop!.deviceId, changed);
    expect(conflict.status).toBe(409);
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).not.toBeNull();
    expect((await status(laptop!)).envelope).toEqual(envelope);
  });

  it("sends history.ready to the target", async () => {
    const [phone, laptop] = await person("Laptop");
    const socket = await open(laptop!);
    const envelope = await send(phone!, laptop!, archiveBytes(100));
    await socket.next("history.ready");

    const reply = await status(laptop!);
    expect(reply.state).toBe("ready");
    expect(reply.fromDeviceId).toBe(phone!.deviceId);
    expect(reply.fromDeviceName).toBe("Phone");
    expect(reply.envelope).toEqual(envelope);
  });

  it("lets the first envelope win", async () => {
    const [phone, laptop, tablet] = await person("Laptop", "Tablet");
    const bytes = archiveBytes(100);
    expect((await putArchive(tablet!, laptop!.deviceId, bytes)).status).toBe(
      204,
    );
    await send(phone!, laptop!, archiveBytes(200));

    const late = await postEnvelope(
      tablet!,
      laptop!.deviceId,
      await envelopeFor(bytes),
    );
    expect(late.status).toBe(409);
    expect((await errorOf(late)).code).toBe("conflict");
    expect((await status(laptop!)).fromDeviceId).toBe(phone!.deviceId);
    expect(await env.MEDIA.head(archiveKey(tablet!, laptop!))).toBeNull();
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).not.toBeNull();
  });

  it("rejects an upload once the target is ready", async () => {
    const [phone, laptop, tablet] = await person("Laptop", "Tablet");
    await send(phone!, laptop!, archiveBytes(100));
    const response = await putArchive(
      tablet!,
      laptop!.deviceId,
      archiveBytes(10),
    );
    expect(response.status).toBe(409);
    expect(await env.MEDIA.head(archiveKey(tablet!, laptop!))).toBeNull();
  });
});

describe("history archive download", () => {
  it("returns exactly the uploaded bytes", async () => {
    const [phone, laptop] = await person("Laptop");
    const bytes = archiveBytes(5000);
    await send(phone!, laptop!, bytes);
    const response = await api("GET", "/api/history/archive", {
      cookie: laptop!.cookie,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe("5000");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it("hides the archive from other devices", async () => {
    const [phone, laptop, tablet] = await person("Laptop", "Tablet");
    await send(phone!, laptop!, archiveBytes(100));
    for (const other of [phone!, tablet!]) {
      const response = await api("GET", "/api/history/archive", {
        cookie: other.cookie,
      });
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe("not_found");
    }
  });

  it("deletes the archive and finishes on delete", async () => {
    const [phone, laptop] = await person("Laptop");
    await send(phone!, laptop!, archiveBytes(100));
    const response = await api("DELETE", "/api/history", {
      cookie: laptop!.cookie,
    });
    expect(response.status).toBe(200);
    const reply = await json<HistoryStatus>(response);
    expect(reply.state).toBe("done");
    expect(reply.skipped).toBe(false);
    expect(reply.envelope).toBeNull();
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
    const again = await api("GET", "/api/history/archive", {
      cookie: laptop!.cookie,
    });
    expect(again.status).toBe(404);
  });
});

describe("history expiry and revoke", () => {
  it("expires a waiting transfer", async () => {
    const [phone, laptop] = await person("Laptop");
    await age(laptop!, HISTORY_WAIT_MS - 60_000);
    expect((await status(laptop!)).state).toBe("waiting");
    await age(laptop!, 120_000);
    expect((await status(laptop!)).state).toBe("unavailable");

    const socket = await open(phone!);
    await roundTrip(socket);
    expect(requestFrames(socket)).toEqual([]);
  });

  it("expires a ready transfer and its archive", async () => {
    const [phone, laptop] = await person("Laptop");
    await send(phone!, laptop!, archiveBytes(100));
    await age(laptop!, HISTORY_KEEP_MS + 1000);
    const reply = await status(laptop!);
    expect(reply.state).toBe("unavailable");
    expect(reply.envelope).toBeNull();
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });

  it("deletes the archive when the target is revoked", async () => {
    const [phone, laptop] = await person("Laptop");
    await send(phone!, laptop!, archiveBytes(100));
    const response = await api("DELETE", `/api/devices/${laptop!.deviceId}`, {
      cookie: phone!.cookie,
    });
    expect(response.status).toBe(204);
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
    expect(await transferRows(laptop!)).toBe(0);
  });

  it("keeps a ready archive when its uploader is revoked", async () => {
    const [phone, laptop] = await person("Laptop");
    await send(phone!, laptop!, archiveBytes(100));
    const response = await api("DELETE", `/api/devices/${phone!.deviceId}`, {
      cookie: laptop!.cookie,
    });
    expect(response.status).toBe(204);
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).not.toBeNull();
    expect((await status(laptop!)).state).toBe("ready");
  });

  it("deletes an unsent archive of a revoked uploader", async () => {
    const [phone, laptop] = await person("Laptop");
    const bytes = archiveBytes(100);
    expect((await putArchive(phone!, laptop!.deviceId, bytes)).status).toBe(
      204,
    );
    const response = await api("DELETE", `/api/devices/${phone!.deviceId}`, {
      cookie: laptop!.cookie,
    });
    expect(response.status).toBe(204);
    expect(await env.MEDIA.head(archiveKey(phone!, laptop!))).toBeNull();
  });
});
