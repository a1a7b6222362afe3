import { describe, expect, it } from "vitest";
import { decodeMessage, encodeMessage } from "../../../pwa/src/data/codec.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { describeMedia } from "../../../pwa/src/data/rows.ts";
import { applyMessages } from "../../../pwa/src/data/store.ts";
import type { MediaItem } from "../../../pwa/src/media/types.ts";
import { CHAT, idFor, ME, resetState, stored } from "../data/fixtures.ts";

const ITEM: MediaItem = {
  id: "AAAAAAAAAAAAAAAAAAAAAA",
  kind: "image",
  mime: "image/jpeg",
  name: "蓮の花.jpg",
  size: 123_456,
  key: "k".repeat(43),
  nonce: "n".repeat(16),
  hash: "h".repeat(43),
  width: 1280,
  height: 960,
  preview: "data:image/jpeg;base64,/9j/4AAQSkZJRg==",
};

function withMedia(media: unknown): string {
  return JSON.stringify({ v: 1, text: "caption", media });
}

describe("codec media", () => {
  it("round-trips a message with media", () => {
    const body = encodeMessage("look", undefined, ITEM);
    expect(JSON.parse(body)).toEqual({ v: 1, text: "look", media: ITEM });
    expect(decodeMessage(body)).toEqual({
      text: "look",
      replyTo: null,
      media: ITEM,
      mediaError: false,
    });
  });

  it("keeps a reply beside the media", () => {
    const target = "0190a0b0-0000-7000-8000-000000000001";
    const decoded = decodeMessage(encodeMessage("", target, ITEM));
    expect(decoded.replyTo).toBe(target);
    expect(decoded.media).toEqual(ITEM);
  });

  const malformed: Record<string, unknown> = {
    "a string": "photo.jpg",
    "an array": [ITEM],
    "no key": { ...ITEM, key: undefined },
    "a short key": { ...ITEM, key: "abc" },
    "a bad id": { ...ITEM, id: "../../etc/passwd" },
    "an unknown kind": { ...ITEM, kind: "sticker" },
    "a negative size": { ...ITEM, size: -1 },
    "a fractional size": { ...ITEM, size: 1.5 },
    "a size over 2 GiB": { ...ITEM, size: 2 ** 31 + 1 },
    "a remote preview": { ...ITEM, preview: "https://evil.example/x.jpg" },
    "an svg preview": {
      ...ITEM,
      preview: "data:image/svg+xml;base64,PHN2Zz4=",
    },
    "a zero width": { ...ITEM, width: 0 },
    "an infinite duration": { ...ITEM, duration: "Infinity" },
  };
  for (const [label, media] of Object.entries(malformed)) {
    it(`drops media with ${label}`, () => {
      const decoded = decodeMessage(withMedia(media));
      expect(decoded.media).toBeNull();
      expect(decoded.mediaError).toBe(true);
      expect(decoded.text).toBe("caption");
    });
  }

  it("flags a name over 255 characters", () => {
    const decoded = decodeMessage(
      withMedia({ ...ITEM, name: "n".repeat(300) }),
    );
    expect(decoded.media).toBeNull();
    expect(decoded.mediaError).toBe(true);
  });

  it("flags no error without media", () => {
    const decoded = decodeMessage(JSON.stringify({ v: 1, text: "hi" }));
    expect(decoded.mediaError).toBe(false);
  });

  it("stores the flag on the message row", async () => {
    await resetState();
    const body = withMedia({ ...ITEM, mime: "x".repeat(300) });
    await applyMessages(CHAT, [stored(1, { body })], ME);
    const row = await db.messages.get(idFor(1));
    expect(row?.media).toBeNull();
    expect(row?.mediaError).toBe(true);
    expect(row?.text).toBe("caption");
  });

  it("drops unknown fields of the media", () => {
    const decoded = decodeMessage(withMedia({ ...ITEM, extra: "<script>" }));
    expect(decoded.media).toEqual(ITEM);
  });
});

describe("describeMedia", () => {
  it("names each kind for the chat list", () => {
    expect(describeMedia({ ...ITEM, kind: "image" })).toBe("Photo");
    expect(describeMedia({ ...ITEM, kind: "video" })).toBe("Video");
    expect(describeMedia({ ...ITEM, kind: "voice" })).toBe("Voice message");
    expect(describeMedia({ ...ITEM, kind: "audio" })).toBe("Audio");
    expect(describeMedia({ ...ITEM, kind: "file" })).toBe("蓮の花.jpg");
  });
});
