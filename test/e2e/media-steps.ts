// Steps for specs that send media: making test files, attaching them
// through the composer's menu, and reading what a download delivered.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { crc32, deflateSync } from "node:zlib";
import type { Download, Locator, Page } from "@playwright/test";
import { expect } from "./helpers.ts";

/** GET of a file's ciphertext, not of its upload state. */
export const MEDIA_GET = /\/api\/chats\/[^/]+\/media\/[A-Za-z0-9_-]{22}$/;
/** PUT of one part of an upload. */
export const PART_PUT =
  /\/api\/chats\/[^/]+\/media\/[A-Za-z0-9_-]{22}\/parts\/\d+$/;

/** A file for Playwright's setFiles. */
export interface TestFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, checksum]);
}

/**
 * Returns a PNG of `width` × `height` pixels with a colour gradient, so
 * that its preview and its decoded size differ from those of other files.
 */
export function makePng(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = Math.floor((x / width) * 255);
      row[2 + x * 3] = Math.floor((y / height) * 255);
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Returns the hex SHA-256 of `bytes`. */
export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Returns the bytes of a finished download. */
export async function downloadedBytes(download: Download): Promise<Buffer> {
  const path = await download.path();
  return readFile(path);
}

/**
 * Picks `files` (in memory, or paths on disk) through the composer's
 * "Attach" menu item `item`, gives the first one `caption`, and presses
 * Send in the attachment sheet.
 */
export async function sendFiles(
  page: Page,
  item: "Photo or video" | "Document",
  files: TestFile[] | string[],
  caption = "",
): Promise<void> {
  const chooser = page.waitForEvent("filechooser");
  await page.getByRole("button", { name: "Attach" }).click();
  await page.getByRole("menuitem", { name: item }).click();
  await (await chooser).setFiles(files);
  const sheet = page.getByRole("dialog");
  await expect(sheet.getByRole("listitem")).toHaveCount(files.length);
  if (caption !== "") {
    await sheet
      .getByRole("textbox", { name: /^Caption for/ })
      .first()
      .fill(caption);
  }
  await sheet.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sheet).toHaveCount(0);
}

/** Returns the full image of a photo message (not its preview). */
export function fullImage(message: Locator): Locator {
  return message.getByRole("img", { name: "Photo", exact: true });
}

/** Returns the natural width of a loaded image, 0 while it loads. */
export async function naturalWidth(image: Locator): Promise<number> {
  return image.evaluate((element) =>
    element instanceof HTMLImageElement && element.complete
      ? element.naturalWidth
      : 0,
  );
}

/**
 * Records `seconds` of a moving canvas with MediaRecorder on `page` and
 * pastes it into the composer as `name`, which opens the attachment sheet.
 */
export async function pasteRecordedVideo(
  page: Page,
  name: string,
  seconds: number,
): Promise<void> {
  await page.getByRole("textbox", { name: "Message", exact: true }).focus();
  await page.evaluate(
    async ({ name, seconds }) => {
      const canvas = document.createElement("canvas");
      canvas.width = 160;
      canvas.height = 120;
      const context = canvas.getContext("2d");
      if (context === null) throw new Error("no 2D canvas context");
      const recorder = new MediaRecorder(canvas.captureStream(25), {
        mimeType: "video/webm",
      });
      const chunks: Blob[] = [];
      recorder.ondataavailable = (event) => chunks.push(event.data);
      const stopped = new Promise((resolve) => (recorder.onstop = resolve));
      recorder.start();
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        const shift = (performance.now() - started) / 10;
        context.fillStyle = "#0b7a5a";
        context.fillRect(0, 0, 160, 120);
        context.fillStyle = "#ffd000";
        context.fillRect(shift % 160, 40, 40, 40);
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
      recorder.stop();
      await stopped;
      const data = new DataTransfer();
      data.items.add(new File(chunks, name, { type: "video/webm" }));
      document.activeElement?.dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
      );
    },
    { name, seconds },
  );
}
