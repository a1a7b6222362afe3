import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ClientFrame } from "../../../protocol/index.ts";
import { db } from "../../../pwa/src/data/db.ts";
import { pumpOutbox, uploadHost } from "../../../pwa/src/data/outbox.ts";
import { sendMedia } from "../../../pwa/src/media/index.ts";
import { runUploads } from "../../../pwa/src/media/upload.ts";
import { sendOutbox } from "../../../pwa/sw/outbox-sender.ts";
import { CHAT, linkSocket, resetState, sentFrames } from "../data/fixtures.ts";
import { FakeMediaServer } from "./fake-server.ts";

type SendFrame = Extract<ClientFrame, { type: "send" }>;

let server: FakeMediaServer;

beforeEach(async () => {
  await resetState();
  server = new FakeMediaServer();
  vi.stubGlobal("fetch", server.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Sends a file through the uploader and returns its media id. */
async function uploadedMessage(): Promise<string> {
  const file = new Blob(["photo"], { type: "image/jpeg" });
  await sendMedia(CHAT, [
    { file, name: "a.jpg", mime: "image/jpeg", kind: "image", caption: "" },
  ]);
  await runUploads(uploadHost());
  const entry = (await db.outbox.toArray())[0]!;
  return entry.media![0]!;
}

describe("media on the wire", () => {
  it("send frame lists the media id", async () => {
    const mediaId = await uploadedMessage();
    linkSocket();
    await pumpOutbox();
    const sends = sentFrames.filter(
      (frame): frame is SendFrame => frame.type === "send",
    );
    expect(sends).toHaveLength(1);
    expect(sends[0]!.message.media).toEqual([mediaId]);
  });

  it("service worker posts the media id", async () => {
    const mediaId = await uploadedMessage();
    await db.outbox.toCollection().modify({ cipher: "mls1:stand-in" });
    let posted: unknown = null;
    server.hooks.push({
      match: /^POST .*\/messages$/,
      respond: async (request) => {
        posted = await request.json();
        return new Response(JSON.stringify({ seq: 1, ts: 1 }), {
          headers: { "content-type": "application/json" },
        });
      },
    });
    await sendOutbox();
    expect(posted).toMatchObject({ body: "mls1:stand-in", media: [mediaId] });
    expect(await db.outbox.count()).toBe(0);
  });
});
