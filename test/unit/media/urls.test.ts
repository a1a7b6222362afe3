import { resolveObjectURL } from "node:buffer";
import { effect } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import {
  mediaUrl,
  sendMedia,
  type MediaItem,
} from "../../../pwa/src/media/index.ts";
import { CHAT, resetState } from "../data/fixtures.ts";
import { FakeMediaServer, json } from "./fake-server.ts";

const RECEIVED: MediaItem = {
  id: "BBBBBBBBBBBBBBBBBBBBBB",
  kind: "video",
  mime: "video/mp4",
  name: "clip.mp4",
  size: 1000,
  key: "k".repeat(43),
  nonce: "n".repeat(16),
  hash: "h".repeat(43),
};

/** Reads `mediaUrl` through an effect, as a component would. */
function watch(item: MediaItem) {
  const values: (string | null)[] = [];
  const stop = effect(() => {
    values.push(mediaUrl(CHAT, item).value);
  });
  return { values, stop };
}

beforeEach(async () => {
  await resetState();
  // Uploads that sendMedia starts go to a fake server, which rejects them,
  // so that the own file stays in the uploads table.
  const server = new FakeMediaServer();
  server.hooks.push({
    match: /^POST .*\/media$/,
    respond: () =>
      Promise.resolve(
        json(403, { error: { code: "forbidden", message: "Not now." } }),
      ),
  });
  vi.stubGlobal("fetch", server.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("mediaUrl", () => {
  it("shows an own file while it uploads", async () => {
    const file = new Blob(["hello"], { type: "text/plain" });
    await sendMedia(CHAT, [
      { file, name: "a.txt", mime: "text/plain", kind: "file", caption: "" },
    ]);
    const item = (await db.messages.toArray())[0]!.media!;
    const revoke = vi.spyOn(URL, "revokeObjectURL");
    const { values, stop } = watch(item);
    await vi.waitFor(() => expect(values.at(-1)).toMatch(/^blob:/));
    const url = values.at(-1)!;
    expect(await resolveObjectURL(url)?.text()).toBe("hello");
    stop();
    expect(revoke).toHaveBeenCalledWith(url);
  });

  it("streams a video through the service worker", async () => {
    vi.stubGlobal("navigator", { serviceWorker: { controller: {} } });
    const { values, stop } = watch(RECEIVED);
    await vi.waitFor(() => expect(values.at(-1)).toBe(`/media/${RECEIVED.id}`));
    stop();
    const row = await db.mediaFiles.get(RECEIVED.id);
    expect(row?.item).toEqual(RECEIVED);
    expect(row?.cachedBytes).toBeNull();
  });

  it("has nothing for an image not downloaded", async () => {
    vi.stubGlobal("navigator", { serviceWorker: { controller: {} } });
    const image = { ...RECEIVED, id: "CCCCCCCCCCCCCCCCCCCCCC", kind: "image" };
    const { values, stop } = watch(image as MediaItem);
    // A later write of the media table proves the query ran.
    await db.mediaFiles.put({
      id: "DDDDDDDDDDDDDDDDDDDDDD",
      chatId: CHAT,
      messageId: null,
      item: RECEIVED,
      cachedBytes: null,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(values.every((value) => value === null)).toBe(true);
    expect(await db.mediaFiles.get(image.id)).toBeUndefined();
  });

  it("needs a service worker to stream", async () => {
    const { values, stop } = watch({
      ...RECEIVED,
      id: "EEEEEEEEEEEEEEEEEEEEEE",
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    stop();
    expect(values.every((value) => value === null)).toBe(true);
  });
});
