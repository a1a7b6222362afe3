import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  MEDIA_CHUNK_BYTES,
  MEDIA_CIPHER_CHUNK_BYTES,
} from "../../../protocol/media.ts";
import { decodeMessage } from "../../../pwa/src/data/codec.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { sendMedia, type MediaItem } from "../../../pwa/src/media/index.ts";
import { uploadHost } from "../../../pwa/src/data/outbox.ts";
import { runUploads } from "../../../pwa/src/media/upload.ts";
import { parseRange, serveMedia } from "../../../pwa/sw/media.ts";
import { CHAT, resetState } from "../data/fixtures.ts";
import { FakeMediaServer } from "./fake-server.ts";

/** Forty chunks and a bit: a video that seeks without a full download. */
const SIZE = 40 * MEDIA_CHUNK_BYTES + 777;

function bytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 11 + 5) & 0xff;
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

/** Cache Storage with the given files, keyed by path. */
function fakeCaches(files: Map<string, Blob>) {
  return {
    open: () =>
      Promise.resolve({
        match: (path: string) => {
          const file = files.get(path);
          return Promise.resolve(
            file === undefined ? undefined : new Response(file),
          );
        },
      }),
  };
}

let server: FakeMediaServer;

beforeEach(async () => {
  await resetState();
  server = new FakeMediaServer();
  vi.stubGlobal("fetch", server.fetch);
  vi.stubGlobal("caches", fakeCaches(new Map()));
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Uploads a video and leaves its MediaItem where the page stores it. */
async function storedVideo(): Promise<MediaItem> {
  const file = new Blob([bytes(SIZE)], { type: "video/mp4" });
  await sendMedia(CHAT, [
    { file, name: "clip.mp4", mime: "video/mp4", kind: "video", caption: "" },
  ]);
  await runUploads(uploadHost());
  const entry = (await db.outbox.toArray())[0]!;
  const item = decodeMessage(entry.body).media!;
  await db.mediaFiles.put({
    id: item.id,
    chatId: CHAT,
    messageId: entry.id,
    item,
    cachedBytes: null,
  });
  return item;
}

function get(path: string, range?: string): Request {
  const headers: Record<string, string> = range ? { Range: range } : {};
  return new Request(`http://app.test${path}`, { headers });
}

describe("parseRange", () => {
  it("parses the forms players send", () => {
    expect(parseRange("bytes=0-", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=10-19", 100)).toEqual({ start: 10, end: 19 });
    expect(parseRange("bytes=90-500", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
  });

  it("ignores what it does not serve", () => {
    expect(parseRange(null, 100)).toBeNull();
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull();
    expect(parseRange("items=0-1", 100)).toBeNull();
  });

  it("reports ranges outside the file", () => {
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
  });
});

describe("serveMedia", () => {
  it("streams a range by fetching only its chunks", async () => {
    const item = await storedVideo();
    const start = 20 * MEDIA_CHUNK_BYTES + 100;
    const end = start + 50_000;
    const response = await serveMedia(
      get(`/media/${item.id}`, `bytes=${start}-${end}`),
      item.id,
    );
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(
      `bytes ${start}-${end}/${SIZE}`,
    );
    expect(response.headers.get("Content-Length")).toBe(
      String(end - start + 1),
    );
    expect(response.headers.get("Content-Type")).toBe("video/mp4");
    const body = new Uint8Array(await response.arrayBuffer());
    expect(same(body, bytes(SIZE).subarray(start, end + 1))).toBe(true);
    expect(server.ranges).toEqual([
      `${20 * MEDIA_CIPHER_CHUNK_BYTES}-${21 * MEDIA_CIPHER_CHUNK_BYTES - 1}`,
    ]);
  });

  it("streams an open range to the end", async () => {
    const item = await storedVideo();
    const start = SIZE - 70_000;
    const response = await serveMedia(
      get(`/media/${item.id}`, `bytes=${start}-`),
      item.id,
    );
    const body = new Uint8Array(await response.arrayBuffer());
    expect(same(body, bytes(SIZE).subarray(start))).toBe(true);
  });

  it("serves a cached copy with Range", async () => {
    const item = await storedVideo();
    const files = new Map([[`/media/${item.id}`, new Blob([bytes(SIZE)])]]);
    vi.stubGlobal("caches", fakeCaches(files));
    server.requests.length = 0;
    const response = await serveMedia(
      get(`/media/${item.id}`, "bytes=5-14"),
      item.id,
    );
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe(`bytes 5-14/${SIZE}`);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(same(body, bytes(SIZE).subarray(5, 15))).toBe(true);
    expect(server.requests).toEqual([]);
  });

  it("names the file for a download", async () => {
    const item = await storedVideo();
    const response = await serveMedia(
      get(`/media/${item.id}?download=1`, "bytes=0-0"),
      item.id,
    );
    expect(response.headers.get("Content-Disposition")).toBe(
      `attachment; filename="clip.mp4"; filename*=UTF-8''clip.mp4`,
    );
  });

  it("answers 416 outside the file", async () => {
    const item = await storedVideo();
    const response = await serveMedia(
      get(`/media/${item.id}`, `bytes=${SIZE}-`),
      item.id,
    );
    expect(response.status).toBe(416);
    expect(response.headers.get("Content-Range")).toBe(`bytes */${SIZE}`);
  });

  it("passes on a 404 of the server", async () => {
    const item = await storedVideo();
    server.uploads.clear();
    const response = await serveMedia(
      get(`/media/${item.id}`, "bytes=0-10"),
      item.id,
    );
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("This file is no longer available.");
  });

  it("answers 404 for an unknown file", async () => {
    const response = await serveMedia(
      get("/media/AAAAAAAAAAAAAAAAAAAAAA"),
      "AAAAAAAAAAAAAAAAAAAAAA",
    );
    expect(response.status).toBe(404);
  });
});
