import { beforeEach, describe, expect, it } from "vitest";
import { db } from "../../../pwa/src/data/db.ts";
import { encodeMessage } from "../../../pwa/src/data/codec.ts";
import { buildChatRows } from "../../../pwa/src/data/rows.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import type { MediaItem } from "../../../pwa/src/media/types.ts";
import { addChat, ME, resetState, stored, CHAT } from "../data/fixtures.ts";

const VOICE: MediaItem = {
  id: "AAAAAAAAAAAAAAAAAAAAAA",
  kind: "voice",
  mime: "audio/webm",
  name: "",
  size: 5000,
  key: "k".repeat(43),
  nonce: "n".repeat(16),
  hash: "h".repeat(43),
  duration: 3.5,
};

async function previewText(): Promise<string | undefined> {
  const [row] = await buildChatRows(await db.chats.toArray(), ME);
  return row?.preview?.text;
}

describe("chat list preview of media", () => {
  beforeEach(async () => {
    await resetState();
    await addChat();
  });

  it("names a voice note without caption", async () => {
    const body = encodeMessage("", undefined, VOICE);
    await applyMessages(CHAT, [stored(1, { body })], ME);
    expect(await previewText()).toBe("Voice message");
    expect((await db.messages.toArray())[0]?.media).toEqual(VOICE);
  });

  it("shows the caption when there is one", async () => {
    const body = encodeMessage("Listen!", undefined, VOICE);
    await applyMessages(CHAT, [stored(1, { body })], ME);
    expect(await previewText()).toBe("Listen!");
  });

  it("drops the media of a deleted message", async () => {
    const body = encodeMessage("", undefined, VOICE);
    await applyMessages(CHAT, [stored(1, { body, deleted: true })], ME);
    expect((await db.messages.toArray())[0]?.media).toBeNull();
  });
});
