import {
  env,
  runDurableObjectAlarm,
  runInDurableObject,
} from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import {
  MAX_MEDIA_CIPHER_BYTES,
  MEDIA_BYTES_PER_DAY,
  MEDIA_PART_BYTES,
  MEDIA_UPLOADS_PER_HOUR,
  type UploadState,
} from "../../protocol/index.ts";
import {
  api,
  connect,
  createGroup,
  errorOf,
  json,
  newMessageId,
  openDirect,
  signUp,
  type TestSocket,
  type TestUser,
} from "./helpers.ts";
import {
  completeUpload,
  createUpload,
  download,
  firstDifference,
  mediaPath,
  partOf,
  patternBytes,
  putPart,
  sendPart,
  sendWithMedia,
  startUpload,
  uploadFile,
  uploadState,
} from "./media-helpers.ts";

const sockets: TestSocket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

/** Signs up two people with a direct chat between them. */
async function pair(): Promise<{
  ana: TestUser;
  ben: TestUser;
  chatId: string;
}> {
  const [ana, ben] = [await signUp(), await signUp()];
  return { ana, ben, chatId: await openDirect(ana, ben) };
}

function mediaKey(chatId: string, mediaId: string): string {
  return `media/${chatId}/${mediaId}`;
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

describe("media upload creation", () => {
  it("returns the state of a new upload", async () => {
    const { ana, chatId } = await pair();
    const size = 2 * MEDIA_PART_BYTES + 5;
    const response = await createUpload(ana, chatId, { size });
    expect(response.status).toBe(201);
    const state = await json<UploadState>(response);
    expect(state.mediaId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(state.size).toBe(size);
    expect(state.partBytes).toBe(MEDIA_PART_BYTES);
    expect(state.parts).toBe(3);
    expect(state.done).toEqual([]);
    expect(state.complete).toBe(false);
  });

  it("rejects sizes below one tag and above 2 GiB", async () => {
    const { ana, chatId } = await pair();
    const small = await createUpload(ana, chatId, { size: 15 });
    expect(small.status).toBe(400);
    const smallError = await errorOf(small);
    expect(smallError.field).toBe("size");
    expect(smallError.message).toContain("at least 16");

    const large = await createUpload(ana, chatId, {
      size: MAX_MEDIA_CIPHER_BYTES + 1,
    });
    expect(large.status).toBe(413);
    const largeError = await errorOf(large);
    expect(largeError.field).toBe("size");
    expect(largeError.message).toContain(String(MAX_MEDIA_CIPHER_BYTES));

    const fractional = await createUpload(ana, chatId, { size: 100.5 });
    expect(fractional.status).toBe(400);
  });

  it("needs only the size, never a file name", async () => {
    const { ana, ben, chatId } = await pair();
    const bytes = patternBytes(300);
    const mediaId = await uploadFile(ana, chatId, bytes);
    const sent = await sendWithMedia(ana, chatId, [mediaId]);
    expect(sent.status).toBe(200);

    const response = await download(ben, chatId, mediaId);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe(
      "application/octet-stream",
    );
    expect(response.headers.get("Content-Disposition")).toBe("attachment");
    expect(await bytesOf(response)).toEqual(bytes);
    const object = await env.MEDIA.head(mediaKey(chatId, mediaId));
    expect(object?.httpMetadata?.contentType).toBeUndefined();
    expect(object?.customMetadata).toEqual({});
  });

  it("rejects people outside the chat", async () => {
    const { chatId } = await pair();
    const cleo = await signUp();
    const response = await createUpload(cleo, chatId, { size: 100 });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("forbidden");
  });

  it("rejects requests from another site", async () => {
    const { ana, chatId } = await pair();
    const response = await api("POST", `/api/chats/${chatId}/media`, {
      cookie: ana.cookie,
      body: { size: 100 },
      headers: { Origin: "https://evil.example" },
    });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("bad_origin");
  });

  it("limits uploads per hour", async () => {
    const { ana, chatId } = await pair();
    for (let i = 0; i < MEDIA_UPLOADS_PER_HOUR; i++) {
      const response = await createUpload(ana, chatId, { size: 16 });
      expect(response.status).toBe(201);
    }
    const rejected = await createUpload(ana, chatId, { size: 16 });
    expect(rejected.status).toBe(429);
    const error = await errorOf(rejected);
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(rejected.headers.get("Retry-After")).toBe(String(error.retryAfter));
    expect(error.message).toMatch(/Try again in \d+ minutes/);
  });

  it("limits declared bytes per day", async () => {
    const { ana, chatId } = await pair();
    const fits = Math.floor(MEDIA_BYTES_PER_DAY / MAX_MEDIA_CIPHER_BYTES);
    for (let i = 0; i < fits; i++) {
      const response = await createUpload(ana, chatId, {
        size: MAX_MEDIA_CIPHER_BYTES,
      });
      expect(response.status).toBe(201);
    }
    const rejected = await createUpload(ana, chatId, {
      size: MAX_MEDIA_CIPHER_BYTES,
    });
    expect(rejected.status).toBe(429);
    const error = await errorOf(rejected);
    expect(error.code).toBe("rate_limited");
    expect(error.message).toMatch(/Try again in \d+ hours/);
    // A small file still fits the rest of the day's bytes.
    const small = await createUpload(ana, chatId, { size: 1000 });
    expect(small.status).toBe(201);
  });
});

describe("media parts", () => {
  it("resumes an interrupted multipart upload", async () => {
    const { ana, ben, chatId } = await pair();
    const bytes = patternBytes(2 * MEDIA_PART_BYTES + 1000);
    const { mediaId, parts } = await startUpload(ana, chatId, bytes.length);
    expect(parts).toBe(3);
    await sendPart(ana, chatId, mediaId, bytes, 1);
    await sendPart(ana, chatId, mediaId, bytes, 3);

    const early = await completeUpload(ana, chatId, mediaId);
    expect(early.status).toBe(409);
    expect((await errorOf(early)).message).toContain("Parts 2 ");

    const resumed = await json<UploadState>(
      await uploadState(ana, chatId, mediaId),
    );
    expect(resumed.done).toEqual([1, 3]);
    expect(resumed.complete).toBe(false);

    await sendPart(ana, chatId, mediaId, bytes, 2);
    const completed = await completeUpload(ana, chatId, mediaId);
    expect(completed.status).toBe(200);
    const state = await json<UploadState>(completed);
    expect(state.complete).toBe(true);
    expect(state.done).toEqual([1, 2, 3]);
    const again = await completeUpload(ana, chatId, mediaId);
    expect(again.status).toBe(200);
    expect((await json<UploadState>(again)).complete).toBe(true);

    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);
    const response = await download(ben, chatId, mediaId);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe(String(bytes.length));
    const received = await bytesOf(response);
    expect(received.length).toBe(bytes.length);
    expect(firstDifference(received, bytes)).toBe(-1);

    // A range across the boundary of parts 1 and 2.
    const start = MEDIA_PART_BYTES - 10;
    const across = await download(ben, chatId, mediaId, {
      Range: `bytes=${start}-${start + 19}`,
    });
    expect(across.status).toBe(206);
    expect(await bytesOf(across)).toEqual(bytes.slice(start, start + 20));
  });

  it("replaces a part uploaded again", async () => {
    const { ana, chatId } = await pair();
    const bytes = patternBytes(500);
    const { mediaId } = await startUpload(ana, chatId, bytes.length);
    const wrong = patternBytes(500, 99);
    expect((await putPart(ana, chatId, mediaId, 1, wrong)).status).toBe(204);
    await sendPart(ana, chatId, mediaId, bytes, 1);
    expect((await completeUpload(ana, chatId, mediaId)).status).toBe(200);
    const response = await download(ana, chatId, mediaId);
    expect(await bytesOf(response)).toEqual(bytes);
  });

  it("rejects a part of the wrong length", async () => {
    const { ana, chatId } = await pair();
    const { mediaId } = await startUpload(ana, chatId, 1000);

    const short = await putPart(ana, chatId, mediaId, 1, patternBytes(999));
    expect(short.status).toBe(400);
    const shortError = await errorOf(short);
    expect(shortError.field).toBe("body");
    expect(shortError.message).toContain("exactly 1000 bytes");
    expect(shortError.message).toContain("999");

    const streamedShort = await putPart(
      ana,
      chatId,
      mediaId,
      1,
      patternBytes(10),
      { stream: true },
    );
    expect(streamedShort.status).toBe(400);
    expect((await errorOf(streamedShort)).message).toContain("got 10 bytes");

    const streamedLong = await putPart(
      ana,
      chatId,
      mediaId,
      1,
      patternBytes(1001),
      { stream: true },
    );
    expect(streamedLong.status).toBe(400);
    expect((await errorOf(streamedLong)).message).toContain(
      "more than 1000 bytes",
    );

    const state = await json<UploadState>(
      await uploadState(ana, chatId, mediaId),
    );
    expect(state.done).toEqual([]);

    const streamed = await putPart(
      ana,
      chatId,
      mediaId,
      1,
      patternBytes(1000),
      { stream: true },
    );
    expect(streamed.status).toBe(204);
  });

  it("rejects part numbers outside the upload", async () => {
    const { ana, chatId } = await pair();
    const { mediaId } = await startUpload(ana, chatId, 1000);
    const bytes = patternBytes(1000);
    const beyond = await putPart(ana, chatId, mediaId, 2, bytes);
    expect(beyond.status).toBe(400);
    const error = await errorOf(beyond);
    expect(error.field).toBe("part");
    expect(error.message).toContain("parts 1 to 1");
    for (const part of ["0", "-1", "abc", "1.5"]) {
      const response = await putPart(ana, chatId, mediaId, part, bytes);
      expect(response.status, part).toBe(400);
      expect((await errorOf(response)).field, part).toBe("part");
    }
  });

  it("takes no parts once complete", async () => {
    const { ana, chatId } = await pair();
    const bytes = patternBytes(100);
    const mediaId = await uploadFile(ana, chatId, bytes);
    const response = await putPart(ana, chatId, mediaId, 1, bytes);
    expect(response.status).toBe(409);
  });

  it("lets only the uploader write to an upload", async () => {
    const { ana, ben, chatId } = await pair();
    const bytes = patternBytes(100);
    const { mediaId } = await startUpload(ana, chatId, bytes.length);
    const part = await putPart(ben, chatId, mediaId, 1, bytes);
    expect(part.status).toBe(404);
    expect((await uploadState(ben, chatId, mediaId)).status).toBe(404);
    expect((await completeUpload(ben, chatId, mediaId)).status).toBe(404);
    const cancel = await api("DELETE", mediaPath(chatId, mediaId), {
      cookie: ben.cookie,
    });
    expect(cancel.status).toBe(404);

    // Another device of the uploader may go on with it.
    const anaLaptop = await signUp(ana.phone, "Laptop");
    await sendPart(anaLaptop, chatId, mediaId, bytes, 1);
    expect((await completeUpload(anaLaptop, chatId, mediaId)).status).toBe(200);
  });

  it("rejects a removed member's upload requests", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const bytes = patternBytes(100);
    const { mediaId } = await startUpload(ben, chatId, bytes.length);
    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      {
        cookie: ana.cookie,
      },
    );
    expect(removed.status).toBe(200);
    const part = await putPart(ben, chatId, mediaId, 1, bytes);
    expect(part.status).toBe(404);
    expect((await completeUpload(ben, chatId, mediaId)).status).toBe(404);
    expect((await uploadState(ben, chatId, mediaId)).status).toBe(404);
    expect((await createUpload(ben, chatId, { size: 100 })).status).toBe(403);
  });
});

describe("media download", () => {
  async function sentFile(size = 1000) {
    const { ana, ben, chatId } = await pair();
    const bytes = patternBytes(size);
    const mediaId = await uploadFile(ana, chatId, bytes);
    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);
    return { ana, ben, chatId, mediaId, bytes };
  }

  it("serves the whole file with its headers", async () => {
    const { ben, chatId, mediaId, bytes } = await sentFile();
    const response = await download(ben, chatId, mediaId);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe("1000");
    expect(response.headers.get("Accept-Ranges")).toBe("bytes");
    expect(response.headers.get("Cache-Control")).toBe("private, no-store");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("ETag")).toMatch(/^".+"$/);
    expect(await bytesOf(response)).toEqual(bytes);
  });

  it("serves a byte range with 206", async () => {
    const { ben, chatId, mediaId, bytes } = await sentFile();
    const response = await download(ben, chatId, mediaId, {
      Range: "bytes=100-199",
    });
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe("bytes 100-199/1000");
    expect(response.headers.get("Content-Length")).toBe("100");
    expect(await bytesOf(response)).toEqual(bytes.slice(100, 200));
  });

  it("serves open, suffix and clamped ranges", async () => {
    const { ben, chatId, mediaId, bytes } = await sentFile();
    const cases = [
      { range: "bytes=990-", first: 990, last: 999 },
      { range: "bytes=-10", first: 990, last: 999 },
      { range: "bytes=-5000", first: 0, last: 999 },
      { range: "bytes=900-5000", first: 900, last: 999 },
      { range: "bytes=900-99999999999999999999", first: 900, last: 999 },
      { range: "bytes=0-0", first: 0, last: 0 },
    ];
    for (const { range, first, last } of cases) {
      const response = await download(ben, chatId, mediaId, { Range: range });
      expect(response.status, range).toBe(206);
      expect(response.headers.get("Content-Range"), range).toBe(
        `bytes ${first}-${last}/1000`,
      );
      expect(await bytesOf(response), range).toEqual(
        bytes.slice(first, last + 1),
      );
    }
  });

  it("replies 416 to a range past the end", async () => {
    const { ben, chatId, mediaId } = await sentFile();
    for (const range of ["bytes=1000-", "bytes=5000-6000", "bytes=-0"]) {
      const response = await download(ben, chatId, mediaId, { Range: range });
      expect(response.status, range).toBe(416);
      expect(response.headers.get("Content-Range"), range).toBe("bytes */1000");
      expect((await errorOf(response)).field, range).toBe("Range");
    }
  });

  it("ignores a malformed or multiple range", async () => {
    const { ben, chatId, mediaId, bytes } = await sentFile();
    const ranges = ["bytes=0-1,5-6", "items=0-1", "bytes=9-3", "bytes=-"];
    for (const range of ranges) {
      const response = await download(ben, chatId, mediaId, { Range: range });
      expect(response.status, range).toBe(200);
      expect(await bytesOf(response), range).toEqual(bytes);
    }
  });

  it("answers HEAD with headers only", async () => {
    const { ben, chatId, mediaId } = await sentFile();
    const response = await download(ben, chatId, mediaId, {}, "HEAD");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Length")).toBe("1000");
    expect(response.headers.get("Accept-Ranges")).toBe("bytes");
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it("gives outsiders and unknown ids the same 404", async () => {
    const { ana, chatId, mediaId } = await sentFile();
    const cleo = await signUp();
    const otherChat = await openDirect(ana, cleo);
    const attempts = [
      await download(cleo, chatId, mediaId),
      await download(cleo, otherChat, mediaId),
      await download(ana, otherChat, mediaId),
      await download(ana, chatId, "A".repeat(22)),
    ];
    const bodies = [];
    for (const response of attempts) {
      expect(response.status).toBe(404);
      const error = await errorOf(response);
      expect(error.code).toBe("not_found");
      bodies.push(
        error.message.replace(mediaId, "ID").replace("A".repeat(22), "ID"),
      );
    }
    expect(new Set(bodies).size).toBe(1);
  });

  it("stops serving a member once removed", async () => {
    const [ana, ben] = [await signUp(), await signUp()];
    const chatId = await createGroup(ana, [ben]);
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);
    expect((await download(ben, chatId, mediaId)).status).toBe(200);
    const removed = await api(
      "DELETE",
      `/api/chats/${chatId}/members/${ben.id}`,
      {
        cookie: ana.cookie,
      },
    );
    expect(removed.status).toBe(200);
    expect((await download(ben, chatId, mediaId)).status).toBe(404);
  });

  it("shows an unsent upload to its uploader only", async () => {
    const { ana, ben, chatId } = await pair();
    const bytes = patternBytes(100);
    const mediaId = await uploadFile(ana, chatId, bytes);
    const own = await download(ana, chatId, mediaId);
    expect(own.status).toBe(200);
    expect(await bytesOf(own)).toEqual(bytes);
    expect((await download(ben, chatId, mediaId)).status).toBe(404);

    const { mediaId: unfinished } = await startUpload(ana, chatId, 100);
    expect((await download(ana, chatId, unfinished)).status).toBe(404);
  });

  it("rejects a malformed media id", async () => {
    const { ana, chatId } = await pair();
    const response = await download(ana, chatId, "short");
    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("mediaId");
  });
});

describe("attaching media to messages", () => {
  async function expectRejected(response: Response, text: string) {
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("message.media");
    expect(error.message).toContain(text);
  }

  it("attaches a finished upload once", async () => {
    const { ana, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    const id = newMessageId();
    const first = await sendWithMedia(ana, chatId, [mediaId], id);
    expect(first.status).toBe(200);
    const { seq } = await json<{ seq: number }>(first);

    const resend = await sendWithMedia(ana, chatId, [mediaId], id);
    expect(resend.status).toBe(200);
    expect((await json<{ seq: number }>(resend)).seq).toBe(seq);

    const twice = await sendWithMedia(ana, chatId, [mediaId]);
    await expectRejected(twice, `already attached to message ${id}`);
  });

  it("rejects another person's upload", async () => {
    const { ana, ben, chatId } = await pair();
    const mediaId = await uploadFile(ben, chatId, patternBytes(100));
    const response = await sendWithMedia(ana, chatId, [mediaId]);
    await expectRejected(response, `File ${mediaId} is not an upload of yours`);
  });

  it("rejects an unfinished upload", async () => {
    const { ana, chatId } = await pair();
    const { mediaId } = await startUpload(ana, chatId, 100);
    const response = await sendWithMedia(ana, chatId, [mediaId]);
    await expectRejected(response, `File ${mediaId} is still uploading`);
  });

  it("rejects an upload of another chat", async () => {
    const { ana, chatId } = await pair();
    const cleo = await signUp();
    const otherChat = await openDirect(ana, cleo);
    const mediaId = await uploadFile(ana, otherChat, patternBytes(100));
    const response = await sendWithMedia(ana, chatId, [mediaId]);
    await expectRejected(response, `File ${mediaId} is not an upload of yours`);
  });

  it("rejects a file listed twice", async () => {
    const { ana, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    const response = await sendWithMedia(ana, chatId, [mediaId, mediaId]);
    await expectRejected(response, "listed twice");
    // The rejected message attached nothing.
    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);
  });

  it("attaches through a send batch", async () => {
    const { ana, ben, chatId } = await pair();
    const first = await uploadFile(ana, chatId, patternBytes(100));
    const second = await uploadFile(ana, chatId, patternBytes(100));
    const { mediaId: unfinished } = await startUpload(ana, chatId, 100);
    const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    const message = (media: string) => ({
      deviceId: ana.deviceId,
      message: {
        id: newMessageId(),
        kind: "message" as const,
        body: "file",
        media: [media],
      },
    });
    const results = await stub.sendBatch(ana.id, [
      message(first),
      message(unfinished),
      message(second),
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false, true]);
    const failed = results[1];
    expect(failed?.ok).toBe(false);
    expect(failed?.ok === false ? failed.error.field : null).toBe(
      "message.media",
    );
    expect((await download(ben, chatId, first)).status).toBe(200);
    expect((await download(ben, chatId, second)).status).toBe(200);
  });

  it("attaches through the socket send", async () => {
    const { ana, ben, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    const socket = await connect(ana);
    sockets.push(socket);
    const id = newMessageId();
    socket.send({
      type: "send",
      chatId,
      message: { id, kind: "message", body: "file", media: [mediaId] },
    });
    await socket.next("send.ok", (frame) => frame.id === id);
    expect((await download(ben, chatId, mediaId)).status).toBe(200);
  });
});

describe("deleting media", () => {
  it("deletes the files of a message deleted for everyone", async () => {
    const { ana, ben, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    const id = newMessageId();
    expect((await sendWithMedia(ana, chatId, [mediaId], id)).status).toBe(200);
    expect(await env.MEDIA.head(mediaKey(chatId, mediaId))).not.toBeNull();

    const socket = await connect(ana);
    sockets.push(socket);
    socket.send({ type: "delete", chatId, messageId: id });
    await socket.next("deleted", (frame) => frame.id === id);

    expect(await env.MEDIA.get(mediaKey(chatId, mediaId))).toBeNull();
    expect((await download(ben, chatId, mediaId)).status).toBe(404);
    expect((await download(ana, chatId, mediaId)).status).toBe(404);
  });

  it("cancels an unsent upload", async () => {
    const { ana, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    const cancel = await api("DELETE", mediaPath(chatId, mediaId), {
      cookie: ana.cookie,
    });
    expect(cancel.status).toBe(204);
    expect(await env.MEDIA.get(mediaKey(chatId, mediaId))).toBeNull();
    expect((await uploadState(ana, chatId, mediaId)).status).toBe(404);
    const sent = await sendWithMedia(ana, chatId, [mediaId]);
    expect(sent.status).toBe(400);
  });

  it("cancels an upload still taking parts", async () => {
    const { ana, chatId } = await pair();
    const bytes = patternBytes(100);
    const { mediaId } = await startUpload(ana, chatId, bytes.length);
    await sendPart(ana, chatId, mediaId, bytes, 1);
    const cancel = await api("DELETE", mediaPath(chatId, mediaId), {
      cookie: ana.cookie,
    });
    expect(cancel.status).toBe(204);
    const part = await putPart(ana, chatId, mediaId, 1, partOf(bytes, 1));
    expect(part.status).toBe(404);
  });

  it("rejects cancelling an attached file", async () => {
    const { ana, chatId } = await pair();
    const mediaId = await uploadFile(ana, chatId, patternBytes(100));
    expect((await sendWithMedia(ana, chatId, [mediaId])).status).toBe(200);
    const cancel = await api("DELETE", mediaPath(chatId, mediaId), {
      cookie: ana.cookie,
    });
    expect(cancel.status).toBe(409);
    expect((await errorOf(cancel)).message).toContain(
      "Delete the message for everyone",
    );
    expect(await env.MEDIA.head(mediaKey(chatId, mediaId))).not.toBeNull();
  });

  it("deletes uploads left unattached past the TTL", async () => {
    const { ana, chatId } = await pair();
    const old = await uploadFile(ana, chatId, patternBytes(100));
    const { mediaId: unfinished } = await startUpload(ana, chatId, 100);
    const fresh = await uploadFile(ana, chatId, patternBytes(100));
    const attached = await uploadFile(ana, chatId, patternBytes(100));
    expect((await sendWithMedia(ana, chatId, [attached])).status).toBe(200);

    const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
    const alarm = await runInDurableObject(stub, async (_room, state) => {
      state.storage.sql.exec(
        "UPDATE media SET created_at = 0 WHERE media_id IN (?, ?, ?)",
        old,
        unfinished,
        attached,
      );
      return state.storage.getAlarm();
    });
    expect(alarm).not.toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await env.MEDIA.get(mediaKey(chatId, old))).toBeNull();
    expect((await uploadState(ana, chatId, old)).status).toBe(404);
    expect((await uploadState(ana, chatId, unfinished)).status).toBe(404);
    expect(await env.MEDIA.head(mediaKey(chatId, fresh))).not.toBeNull();
    expect((await uploadState(ana, chatId, fresh)).status).toBe(200);
    expect(await env.MEDIA.head(mediaKey(chatId, attached))).not.toBeNull();
  });
});
