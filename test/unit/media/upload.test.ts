import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  cipherSize,
  MEDIA_CHUNK_BYTES,
  partCount,
} from "../../../protocol/media.ts";
import { decodeMessage } from "../../../pwa/src/data/codec.ts";
import { db, type UploadRow } from "../../../pwa/src/data/db.ts";
import {
  CHUNKS_PER_PART,
  decryptChunks,
  encryptPart,
  fileHash,
  importFileSecret,
  partDigest,
} from "../../../pwa/src/media/crypto.ts";
import {
  cancelUpload,
  retryUpload,
  sendMedia,
  transferOf,
  type OutgoingFile,
} from "../../../pwa/src/media/index.ts";
import { newMediaItem, shortenName } from "../../../pwa/src/media/send.ts";
import { uploadHost } from "../../../pwa/src/data/outbox.ts";
import { runUploads } from "../../../pwa/src/media/upload.ts";
import { CHAT, idFor, resetState } from "../data/fixtures.ts";
import { FakeMediaServer, json } from "./fake-server.ts";

/** A file of three upload parts, the last one short. */
const THREE_PARTS = 2 * CHUNKS_PER_PART * MEDIA_CHUNK_BYTES + 5000;

function bytes(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13) & 0xff;
  return out;
}

function outgoing(size: number, fields: Partial<OutgoingFile> = {}) {
  return {
    file: new Blob([bytes(size)], { type: "application/pdf" }),
    name: "report.pdf",
    mime: "application/pdf",
    kind: "file",
    caption: "",
    ...fields,
  } satisfies OutgoingFile;
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

async function onlyRow() {
  const rows = await db.messages.toArray();
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe("sendMedia", () => {
  it("shows a pending row with its media at once", async () => {
    await sendMedia(CHAT, [outgoing(10, { caption: "see this" })]);
    const row = await onlyRow();
    expect(row.status).toBe("pending");
    expect(row.text).toBe("see this");
    expect(row.media?.name).toBe("report.pdf");
    expect(row.media?.size).toBe(10);
    await runUploads(uploadHost());
  });

  it("rejects a file over 2 GB before queuing", async () => {
    const huge = outgoing(1);
    Object.defineProperty(huge.file, "size", { value: 2 ** 31 + 1 });
    await expect(sendMedia(CHAT, [outgoing(5), huge])).rejects.toThrow(
      /too large/,
    );
    expect(await db.messages.count()).toBe(0);
    expect(await db.uploads.count()).toBe(0);
  });

  it("rejects an unknown kind before queuing", async () => {
    const sticker = { ...outgoing(5), kind: "sticker" } as unknown;
    await expect(sendMedia(CHAT, [sticker as OutgoingFile])).rejects.toThrow(
      'invalid kind "sticker"',
    );
    expect(await db.messages.count()).toBe(0);
  });

  it("keeps media that recipients accept", async () => {
    const long = `${"名".repeat(300)}.pdf`;
    await sendMedia(CHAT, [
      outgoing(5, { name: long, mime: "x".repeat(300), width: 10.6 }),
    ]);
    await runUploads(uploadHost());
    const entry = (await db.outbox.toArray())[0]!;
    const media = decodeMessage(entry.body).media;
    expect(media).not.toBeNull();
    expect(media?.name.length).toBe(255);
    expect(media?.name.endsWith("名.pdf")).toBe(true);
    expect(media?.mime).toBe("");
    expect(media?.width).toBe(11);
  });

  it("uploads and queues the message with its media", async () => {
    await sendMedia(CHAT, [outgoing(1000, { caption: "hi" })]);
    await runUploads(uploadHost());
    expect(await db.uploads.count()).toBe(0);
    const entries = await db.outbox.toArray();
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    const [mediaId] = entry.media!;
    expect(server.uploads.get(mediaId!)?.complete).toBe(true);
    const decoded = decodeMessage(entry.body);
    expect(decoded.text).toBe("hi");
    expect(decoded.media?.id).toBe(mediaId);
    const row = await onlyRow();
    expect(row.media?.id).toBe(mediaId);
    // The recipient can open the stored ciphertext with the sent key.
    const cipher = await importFileSecret(decoded.media!);
    const object = server.object(mediaId!);
    const plain = await decryptChunks(cipher, 1000, 0, object);
    expect(Buffer.from(plain).equals(Buffer.from(bytes(1000)))).toBe(true);
    expect(decoded.media?.hash).toBe(
      await fileHash([await partDigest(new Uint8Array(object))]),
    );
  });

  it("sends each file as its own message", async () => {
    await sendMedia(CHAT, [outgoing(3), outgoing(4)], undefined);
    await runUploads(uploadHost());
    const entries = await db.outbox.orderBy("n").toArray();
    expect(entries).toHaveLength(2);
    expect(entries[0]!.media).not.toEqual(entries[1]!.media);
    expect(server.count("PUT", /\/parts\/1$/)).toBe(2);
  });
});

describe("uploader", () => {
  it("resumes by sending only the missing part", async () => {
    // The state after a reload: parts 1 and 3 reached the server, and the
    // tab closed before it stored their digests.
    const file = outgoing(THREE_PARTS);
    const item = newMediaItem(file);
    const cipher = await importFileSecret(item);
    const size = cipherSize(THREE_PARTS);
    expect(partCount(size)).toBe(3);
    const parts = new Map<number, Uint8Array>();
    for (const part of [1, 3]) {
      parts.set(part, await encryptPart(file.file, cipher, part));
    }

    const mediaId = server.seed(CHAT, size, parts);
    const upload: UploadRow = {
      messageId: idFor(1),
      chatId: CHAT,
      mediaId,
      file: file.file,
      item,
      caption: "",
      replyTo: null,
      done: [],
      digests: [],
      state: "queued",
      error: null,
    };
    await db.uploads.add(upload);
    await runUploads(uploadHost());

    expect(server.count("PUT", /\/parts\/\d+$/)).toBe(1);
    expect(server.count("PUT", /\/parts\/2$/)).toBe(1);
    expect(server.count("POST", /\/media$/)).toBe(0);
    const entry = (await db.outbox.toArray())[0]!;
    expect(entry.media).toEqual([mediaId]);

    // The hash covers all three parts, the two sent before the reload too.
    const digests = [];
    for (const part of [1, 2, 3]) {
      digests.push(
        await partDigest(await encryptPart(upload.file, cipher, part)),
      );
    }
    expect(decodeMessage(entry.body).media?.hash).toBe(await fileHash(digests));
    expect(server.object(mediaId).length).toBe(size);
  });

  it("waits and resumes after a network loss", async () => {
    let failures = 1;
    server.hooks.push({
      match: /^PUT .*\/parts\/1$/,
      respond: () => {
        if (failures-- > 0) throw new TypeError("Failed to fetch");
        return Promise.resolve(undefined);
      },
    });
    const states: string[] = [];
    await sendMedia(CHAT, [outgoing(50)]);
    const localId = (await onlyRow()).media!.id;
    const stop = transferOf(localId).subscribe((transfer) => {
      if (transfer !== undefined) states.push(transfer.state);
    });
    await runUploads(uploadHost());
    // Progress reaches this tab's signals over a BroadcastChannel.
    await vi.waitFor(() => expect(states.at(-1)).toBe("done"));
    stop();
    expect(states).toContain("waiting");
    expect(server.count("PUT", /\/parts\/1$/)).toBe(2);
    expect(server.count("POST", /\/media$/)).toBe(1);
    expect(await db.outbox.count()).toBe(1);
  });

  it("retries a part the server failed", async () => {
    let failures = 1;
    server.hooks.push({
      match: /^PUT .*\/parts\/1$/,
      respond: () =>
        Promise.resolve(
          failures-- > 0
            ? json(500, { error: { code: "internal", message: "Oops." } })
            : undefined,
        ),
    });
    await sendMedia(CHAT, [outgoing(50)]);
    await runUploads(uploadHost());
    expect(server.count("PUT", /\/parts\/1$/)).toBe(2);
    expect(await db.outbox.count()).toBe(1);
    expect((await onlyRow()).status).toBe("pending");
  });

  it("fails with the server's rejection message", async () => {
    server.hooks.push({
      match: /^POST .*\/media$/,
      respond: () =>
        Promise.resolve(
          json(413, {
            error: { code: "too_large", message: "This file is too large." },
          }),
        ),
    });
    await sendMedia(CHAT, [outgoing(50)]);
    await runUploads(uploadHost());
    const row = await onlyRow();
    expect(row.status).toBe("failed");
    expect(row.error).toBe("This file is too large.");
    const transfer = transferOf(row.media!.id);
    await vi.waitFor(() => expect(transfer.value?.state).toBe("failed"));
    expect(transfer.value?.error).toBe("This file is too large.");
    expect(await db.outbox.count()).toBe(0);
  });

  it("fails on a long rate limit with its message", async () => {
    server.hooks.push({
      match: /^POST .*\/media$/,
      respond: () =>
        Promise.resolve(
          json(429, {
            error: {
              code: "rate_limited",
              message: "You started 300 uploads within an hour.",
              retryAfter: 3000,
            },
          }),
        ),
    });
    await sendMedia(CHAT, [outgoing(50)]);
    await runUploads(uploadHost());
    const row = await onlyRow();
    expect(row.status).toBe("failed");
    expect(row.error).toBe("You started 300 uploads within an hour.");
    expect(server.count("POST", /\/media$/)).toBe(1);
  });

  it("waits out a short rate limit", async () => {
    let limited = 1;
    server.hooks.push({
      match: /^POST .*\/media$/,
      respond: () =>
        Promise.resolve(
          limited-- > 0
            ? json(429, {
                error: {
                  code: "rate_limited",
                  message: "Slow down.",
                  retryAfter: 0.05,
                },
              })
            : undefined,
        ),
    });
    await sendMedia(CHAT, [outgoing(50)]);
    await runUploads(uploadHost());
    expect(server.count("POST", /\/media$/)).toBe(2);
    expect(await db.outbox.count()).toBe(1);
  });

  it("retries a failed upload on request", async () => {
    let refuse = true;
    server.hooks.push({
      match: /^POST .*\/media$/,
      respond: () =>
        Promise.resolve(
          refuse
            ? json(403, { error: { code: "forbidden", message: "Not now." } })
            : undefined,
        ),
    });
    await sendMedia(CHAT, [outgoing(50)]);
    await runUploads(uploadHost());
    expect((await onlyRow()).status).toBe("failed");
    refuse = false;
    await retryUpload(CHAT, (await onlyRow()).id);
    await runUploads(uploadHost());
    expect((await onlyRow()).status).toBe("pending");
    expect(await db.outbox.count()).toBe(1);
  });

  it("cancels a running upload and deletes it on the server", async () => {
    let release: () => void = () => {};
    const putReleased = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const putStarted = new Promise<void>((resolve) => (started = resolve));
    server.hooks.push({
      match: /^PUT /,
      respond: async () => {
        started();
        await putReleased;
        return undefined;
      },
    });
    await sendMedia(CHAT, [outgoing(50)]);
    const run = runUploads(uploadHost());
    await putStarted;
    const row = await onlyRow();
    await cancelUpload(CHAT, row.id);
    release();
    await run;
    expect(await db.messages.count()).toBe(0);
    expect(await db.uploads.count()).toBe(0);
    expect(await db.outbox.count()).toBe(0);
    expect(server.count("DELETE", /\/media\/[^/]+$/)).toBeGreaterThan(0);
    expect(server.uploads.size).toBe(0);
    const transfer = transferOf(row.media!.id);
    await vi.waitFor(() => expect(transfer.value).toBeUndefined());
  });
});

describe("shortenName", () => {
  it("keeps short names", () => {
    expect(shortenName("a.txt")).toBe("a.txt");
  });

  it("never splits a surrogate pair", () => {
    const name = `${"🎉".repeat(200)}.png`;
    const short = shortenName(name);
    expect(short.length).toBeLessThanOrEqual(255);
    expect(short.endsWith("🎉.png")).toBe(true);
    expect(short.isWellFormed()).toBe(true);
  });

  it("cuts a name without extension", () => {
    expect(shortenName("x".repeat(400))).toBe("x".repeat(255));
  });
});
