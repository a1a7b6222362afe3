import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decodeMessage } from "../../../pwa/src/data/codec.ts";
import { db } from "../../../pwa/src/data/db.ts";
import {
  cancelDownload,
  downloadMedia,
  sendMedia,
  transferOf,
  type MediaItem,
} from "../../../pwa/src/media/index.ts";
import { applyDeleted } from "../../../pwa/src/data/store.ts";
import {
  mediaStorageUse,
  pruneDeletedMedia,
} from "../../../pwa/src/media/cached-files.ts";
import { uncachedFile } from "../../../pwa/src/media/download.ts";
import { uploadHost } from "../../../pwa/src/data/outbox.ts";
import { runUploads } from "../../../pwa/src/media/upload.ts";
import { CHAT, resetState } from "../data/fixtures.ts";
import { FakeMediaServer } from "./fake-server.ts";

/** Two upload parts, so the download crosses a part boundary. */
const SIZE = 9 * 1024 * 1024;

function bytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + 3) & 0xff;
  return out;
}

let server: FakeMediaServer;

beforeEach(async () => {
  await resetState();
  server = new FakeMediaServer();
  vi.stubGlobal("fetch", server.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Uploads a file through the app and returns its final MediaItem. */
async function uploaded(size: number): Promise<MediaItem> {
  const file = new Blob([bytes(size)], { type: "video/mp4" });
  await sendMedia(CHAT, [
    { file, name: "clip.mp4", mime: "video/mp4", kind: "video", caption: "" },
  ]);
  await runUploads(uploadHost());
  const entry = (await db.outbox.toArray())[0]!;
  // The sender keeps its own copy; forget it to download as a recipient.
  await db.mediaFiles.clear();
  return decodeMessage(entry.body).media!;
}

describe("downloadMedia", () => {
  it("downloads, decrypts and verifies a file", async () => {
    const item = await uploaded(SIZE);
    await downloadMedia(CHAT, item);
    const file = uncachedFile(item.id);
    expect(file?.size).toBe(SIZE);
    const plain = new Uint8Array(await file!.arrayBuffer());
    expect(Buffer.from(plain).equals(Buffer.from(bytes(SIZE)))).toBe(true);
    expect(transferOf(item.id).value?.state).toBe("done");
    expect((await db.mediaFiles.get(item.id))?.item).toEqual(item);
  });

  it("rejects a file whose hash does not match", async () => {
    const item = await uploaded(1000);
    const forged = { ...item, hash: "A".repeat(43) };
    await expect(downloadMedia(CHAT, forged)).rejects.toThrow(/damaged/);
    expect(uncachedFile(item.id)).toBeUndefined();
    expect(await db.mediaFiles.get(item.id)).toBeUndefined();
    const transfer = transferOf(item.id).value;
    expect(transfer?.state).toBe("failed");
    expect(transfer?.error).toMatch(/not saved/);
  });

  it("rejects a truncated file", async () => {
    const item = await uploaded(1000);
    server.hooks.push({
      match: /^GET /,
      respond: () =>
        Promise.resolve(new Response(server.object(item.id).slice(0, 500))),
    });
    await expect(downloadMedia(CHAT, item)).rejects.toThrow(/damaged/);
    expect(uncachedFile(item.id)).toBeUndefined();
  });

  it("reports a dropped connection", async () => {
    const item = await uploaded(1000);
    server.hooks.push({
      match: /^GET /,
      respond: () => {
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(100));
            controller.error(new TypeError("network error"));
          },
        });
        return Promise.resolve(new Response(body));
      },
    });
    await expect(downloadMedia(CHAT, item)).rejects.toThrow(
      "The download was interrupted. Check your connection and try again.",
    );
  });

  it("reports a missing file to the person", async () => {
    const item = await uploaded(10);
    server.uploads.clear();
    await expect(downloadMedia(CHAT, item)).rejects.toThrow(
      "This file is no longer available.",
    );
  });

  it("cancels a running download without an error", async () => {
    const item = await uploaded(10);
    let started: () => void = () => {};
    const requested = new Promise<void>((resolve) => (started = resolve));
    server.hooks.push({
      match: /^GET /,
      respond: (request) =>
        new Promise((_resolve, reject) => {
          started();
          request.signal.addEventListener("abort", () =>
            reject(new DOMException("aborted", "AbortError")),
          );
        }),
    });
    const download = downloadMedia(CHAT, item);
    await requested;
    cancelDownload(item.id);
    await expect(download).resolves.toBeUndefined();
    expect(transferOf(item.id).value).toBeUndefined();
    expect(uncachedFile(item.id)).toBeUndefined();
  });
});

describe("pruneDeletedMedia", () => {
  it("drops files of deleted messages", async () => {
    const item = await uploaded(10);
    const entry = (await db.outbox.toArray())[0]!;
    await downloadMedia(CHAT, item);
    expect((await db.mediaFiles.get(item.id))?.messageId).toBe(entry.id);
    await pruneDeletedMedia();
    expect(await db.mediaFiles.get(item.id)).toBeDefined();
    await applyDeleted(CHAT, entry.id);
    await pruneDeletedMedia();
    expect(await db.mediaFiles.get(item.id)).toBeUndefined();
    expect(await mediaStorageUse()).toEqual({ bytes: 0, files: 0 });
  });
});
