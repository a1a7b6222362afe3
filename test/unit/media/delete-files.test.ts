import { beforeEach, describe, expect, it, vi } from "vitest";
import { mediaPath } from "../../../protocol/index.ts";
import { encodeMessage } from "../../../pwa/src/data/codec.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { deleteForEveryone } from "../../../pwa/src/data/messages.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import { handleFrame } from "../../../pwa/src/data/sync.ts";
import type { MediaItem } from "../../../pwa/src/media/types.ts";
import {
  addChat,
  CHAT,
  idFor,
  ME,
  PEER,
  resetState,
  stored,
} from "../data/fixtures.ts";

function photo(id: string): MediaItem {
  return {
    id,
    kind: "image",
    mime: "image/png",
    name: "p.png",
    size: 3,
    key: "k".repeat(43),
    nonce: "n".repeat(16),
    hash: "h".repeat(43),
  };
}

const GONE = photo("AAAAAAAAAAAAAAAAAAAAAA");
const KEPT = photo("BBBBBBBBBBBBBBBBBBBBBB");

/** Cache Storage backed by `files`, keyed by path. */
function fakeCaches(files: Map<string, Blob>) {
  const cache = {
    match: (path: string) => {
      const file = files.get(path);
      return Promise.resolve(
        file === undefined ? undefined : new Response(file),
      );
    },
    delete: (path: string) => Promise.resolve(files.delete(path)),
  };
  return { open: () => Promise.resolve(cache) };
}

let files: Map<string, Blob>;

/** Stores message `seq` from `senderId` with `item`, cached on this device. */
async function cachedMessage(seq: number, senderId: string, item: MediaItem) {
  const body = encodeMessage("", undefined, item);
  await applyMessages(CHAT, [stored(seq, { body, senderId })], ME);
  files.set(mediaPath(item.id), new Blob(["abc"]));
  await db.mediaFiles.put({
    id: item.id,
    chatId: CHAT,
    messageId: idFor(seq),
    item,
    cachedBytes: 3,
  });
}

describe("delete for everyone of a file", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
    files = new Map();
    vi.stubGlobal("caches", fakeCaches(files));
    return () => vi.unstubAllGlobals();
  });

  it("clears a received file's cached copy", async () => {
    await cachedMessage(1, PEER, GONE);
    await cachedMessage(2, PEER, KEPT);
    await handleFrame({ type: "deleted", chatId: CHAT, id: idFor(1), seq: 3 });
    expect(files.has(mediaPath(GONE.id))).toBe(false);
    expect(await db.mediaFiles.get(GONE.id)).toBeUndefined();
    expect(files.has(mediaPath(KEPT.id))).toBe(true);
    expect(await db.mediaFiles.get(KEPT.id)).toBeDefined();
  });

  it("clears an own file's cached copy", async () => {
    await cachedMessage(1, ME, GONE);
    await deleteForEveryone(CHAT, idFor(1));
    expect((await db.messages.get(idFor(1)))?.deleted).toBe(true);
    expect(files.has(mediaPath(GONE.id))).toBe(false);
    expect(await db.mediaFiles.get(GONE.id)).toBeUndefined();
  });
});
