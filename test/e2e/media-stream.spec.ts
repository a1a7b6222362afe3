import { stat } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { v7 as uuidv7 } from "uuid";
import { directPair, expect, test } from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";

// The service worker's /media/<mediaId> route in Chromium, against the real
// media routes: a file that Ana uploads (encrypted here in the test, by its
// own implementation of the layout in protocol/media.ts) streams on Ben's
// device range by range, decrypted by his service worker.

/** Plaintext bytes of the test file: five chunks and a short sixth. */
const SIZE = 5 * 64 * 1024 + 1234;
const NAME = '動画 "final".mp4';

/** Returns the id of the chat that `page` shows, from its URL. */
function chatIdOf(page: Page): string {
  const match = /\/chat\/([^/?#]+)/.exec(page.url());
  expect(match, `chat URL: ${page.url()}`).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

/**
 * Encrypts a patterned file of SIZE bytes in `page` and uploads it to
 * `chatId` through the media routes. Returns its MediaItem.
 */
function uploadFile(page: Page, chatId: string) {
  return page.evaluate(
    async ({ chatId, size, name, messageId }) => {
      const CHUNK = 64 * 1024;
      const b64 = (bytes: Uint8Array) =>
        btoa(String.fromCharCode(...bytes))
          .replace(/\+/g, "-")
          .replace(/\//g, "_")
          .replace(/=+$/, "");
      const plain = new Uint8Array(size);
      for (let i = 0; i < size; i++) plain[i] = (i * 7 + 3) & 0xff;
      const rawKey = crypto.getRandomValues(new Uint8Array(32));
      const base = crypto.getRandomValues(new Uint8Array(12));
      const key = await crypto.subtle.importKey(
        "raw",
        rawKey,
        "AES-GCM",
        false,
        ["encrypt"],
      );
      const chunks = Math.max(1, Math.ceil(size / CHUNK));
      const sealed: Uint8Array[] = [];
      for (let index = 0; index < chunks; index++) {
        const iv = new Uint8Array(base);
        const view = new DataView(iv.buffer);
        view.setUint32(8, view.getUint32(8) ^ index);
        const aad = new Uint8Array(5);
        new DataView(aad.buffer).setUint32(0, index);
        aad[4] = index === chunks - 1 ? 1 : 0;
        const data = plain.subarray(index * CHUNK, (index + 1) * CHUNK);
        const out = await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: aad },
          key,
          data,
        );
        sealed.push(new Uint8Array(out));
      }
      const cipher = new Uint8Array(
        sealed.reduce((sum, chunk) => sum + chunk.length, 0),
      );
      let offset = 0;
      for (const chunk of sealed) {
        cipher.set(chunk, offset);
        offset += chunk.length;
      }
      const partDigest = new Uint8Array(
        await crypto.subtle.digest("SHA-256", cipher),
      );
      const hash = new Uint8Array(
        await crypto.subtle.digest("SHA-256", partDigest),
      );

      const mediaRoot = `/api/chats/${chatId}/media`;
      const created = await fetch(mediaRoot, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ size: cipher.length }),
      });
      if (created.status !== 201) {
        throw new Error(`create: ${created.status} ${await created.text()}`);
      }
      const { mediaId } = (await created.json()) as { mediaId: string };
      const put = await fetch(`${mediaRoot}/${mediaId}/parts/1`, {
        method: "PUT",
        body: cipher,
      });
      if (put.status !== 204) throw new Error(`part: ${put.status}`);
      const done = await fetch(`${mediaRoot}/${mediaId}/complete`, {
        method: "POST",
      });
      if (done.status !== 200) throw new Error(`complete: ${done.status}`);
      // Other members may read a file once a message carries it. The body
      // is opaque to the server, so a stand-in serves here.
      const sent = await fetch(`/api/chats/${chatId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          id: messageId,
          kind: "message",
          body: "mls1:stand-in",
          media: [mediaId],
        }),
      });
      if (sent.status !== 200) {
        throw new Error(`send: ${sent.status} ${await sent.text()}`);
      }
      return {
        id: mediaId,
        kind: "video" as const,
        mime: "video/mp4",
        name,
        size,
        key: b64(rawKey),
        nonce: b64(base),
        hash: b64(hash),
      };
    },
    { chatId, size: SIZE, name: NAME, messageId: uuidv7() },
  );
}

/** Stores `item` in the `mediaFiles` table, as the app does before playing. */
function storeItem(page: Page, chatId: string, item: object) {
  return page.evaluate(
    ({ chatId, item }) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("messenger");
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const id = (item as { id: string }).id;
          const row = { id, chatId, messageId: null, item, cachedBytes: null };
          const transaction = open.result.transaction(
            "mediaFiles",
            "readwrite",
          );
          transaction.objectStore("mediaFiles").put(row);
          transaction.oncomplete = () => {
            open.result.close();
            resolve();
          };
          transaction.onerror = () => reject(new Error("write failed"));
        };
      }),
    { chatId, item },
  );
}

/** Fetches `path` in `page` with a Range and returns what the page got. */
function fetchRange(page: Page, path: string, range: string) {
  return page.evaluate(
    async ({ path, range }) => {
      const response = await fetch(path, { headers: { Range: range } });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        contentRange: response.headers.get("Content-Range"),
        contentType: response.headers.get("Content-Type"),
        disposition: response.headers.get("Content-Disposition"),
        bytes: [...bytes],
      };
    },
    { path, range },
  );
}

function expected(start: number, end: number): number[] {
  const bytes: number[] = [];
  for (let i = start; i <= end; i++) bytes.push((i * 7 + 3) & 0xff);
  return bytes;
}

test("service worker streams a file range", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);

  const chatId = chatIdOf(ben.page);
  const item = await uploadFile(ana.page, chatId);
  await waitForServiceWorker(ben.page);
  await storeItem(ben.page, chatId, item);

  // Across the boundary of chunks 1 and 2.
  const start = 2 * 64 * 1024 - 10;
  const end = start + 99;
  const middle = await fetchRange(
    ben.page,
    `/media/${item.id}`,
    `bytes=${start}-${end}`,
  );
  expect(middle.status).toBe(206);
  expect(middle.contentRange).toBe(`bytes ${start}-${end}/${SIZE}`);
  expect(middle.contentType).toBe("video/mp4");
  expect(middle.bytes).toEqual(expected(start, end));

  const tail = await fetchRange(ben.page, `/media/${item.id}`, "bytes=-100");
  expect(tail.status).toBe(206);
  expect(tail.bytes).toEqual(expected(SIZE - 100, SIZE - 1));

  const saved = await fetchRange(
    ben.page,
    `/media/${item.id}?download=1`,
    "bytes=0-0",
  );
  expect(saved.disposition).toBe(
    `attachment; filename="__ _final_.mp4"; ` +
      `filename*=UTF-8''${encodeURIComponent(NAME)}`,
  );

  // A link to the download URL saves the file under its original name.
  const [download] = await Promise.all([
    ben.page.waitForEvent("download"),
    ben.page.evaluate((path) => {
      const link = document.createElement("a");
      link.href = path;
      document.body.append(link);
      link.click();
      link.remove();
    }, `/media/${item.id}?download=1`),
  ]);
  // Chromium replaces quotes, which some file systems forbid, with "_",
  // and keeps the Japanese that only filename* carries.
  expect(download.suggestedFilename()).toBe(NAME.replace(/"/g, "_"));
  const path = await download.path();
  const { size } = await stat(path);
  expect(size).toBe(SIZE);
});
