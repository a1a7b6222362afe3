import { randomBytes, randomUUID } from "node:crypto";
import type { Page, Route } from "@playwright/test";
import {
  chatList,
  chooseAction,
  directPair,
  expect,
  messageWith,
  openChat,
  test,
} from "./helpers.ts";
import {
  fullImage,
  makePng,
  naturalWidth,
  pasteRecordedVideo,
  sendFiles,
  MEDIA_GET,
  PART_PUT,
} from "./media-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";

// Damaged files, hostile names and interrupted transfers: what a person
// sees when the server, the network or another client misbehaves.

/** A file of two upload parts: a full one of about 8 MiB and a short one. */
const TWO_PARTS = 9 * 1024 * 1024;

function partNumber(route: Route): number {
  return Number(/parts\/(\d+)$/.exec(route.request().url())?.[1]);
}

/** Serves the real ciphertext after `change` altered it. */
function alterDownload(change: (bytes: Buffer) => Buffer) {
  return async (route: Route) => {
    if (route.request().method() !== "GET") {
      await route.fallback();
      return;
    }
    const response = await route.fetch();
    await route.fulfill({ response, body: change(await response.body()) });
  };
}

/** Returns the number of decrypted files in the media cache of `page`. */
function cachedFiles(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const cache = await caches.open("media-v1");
    return (await cache.keys()).length;
  });
}

const DAMAGE: [string, (bytes: Buffer) => Buffer][] = [
  [
    "flipped byte",
    (bytes) => {
      const copy = Buffer.from(bytes);
      copy[100] = (copy[100] ?? 0) ^ 0xff;
      return copy;
    },
  ],
  ["truncated", (bytes) => bytes.subarray(0, bytes.length - 40)],
  ["garbage", (bytes) => randomBytes(bytes.length)],
];

for (const [label, change] of DAMAGE) {
  test(`photo with ${label} shows damaged`, async ({ newPerson }) => {
    const { ana, ben } = await directPair(newPerson);
    await ben.context.route(MEDIA_GET, alterDownload(change));
    const caption = `Damaged ${randomUUID()}`;
    await sendFiles(
      ana.page,
      "Photo or video",
      [{ name: "d.png", mimeType: "image/png", buffer: makePng(90, 60) }],
      caption,
    );
    const received = messageWith(ben.page, caption);
    await expect(received).toContainText("This file is damaged");
    await expect(fullImage(received)).toHaveCount(0);
  });
}

test("hostile file name and caption stay text", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  let dialogs = 0;
  ben.context.on("page", (page) => page.on("dialog", () => (dialogs += 1)));
  ben.page.on("dialog", () => (dialogs += 1));
  const name = `<img src=x onerror=alert(1)>"q'/\\${randomUUID().slice(0, 4)}.html`;
  const caption = `<b>bold</b><img src=x onerror=alert(2)> ${randomUUID()}`;
  const html = Buffer.from("<script>alert(3)</script>");
  await sendFiles(
    ana.page,
    "Document",
    [{ name, mimeType: "text/html", buffer: html }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  await expect(received).toContainText(caption);
  await expect(received).toContainText(name);
  await expect(received.locator("b")).toHaveCount(0);

  await received.getByRole("button", { name: `Download ${name}` }).click();
  const save = received.getByRole("button", { name: `Save ${name}` });
  const downloading = ben.page.waitForEvent("download");
  await save.click();
  const saved = (await downloading).suggestedFilename();
  expect(saved).not.toContain("/");
  expect(saved).not.toContain("<");

  // Opening the decrypted file's URL in a tab gets the app, not the HTML.
  const paths = await ben.page.evaluate(async () => {
    const keys = await (await caches.open("media-v1")).keys();
    return keys.map((key) => new URL(key.url).pathname);
  });
  expect(paths).toHaveLength(1);
  const tab = await ben.context.newPage();
  await tab.goto(paths[0] ?? "/");
  await expect(chatList(tab)).toBeVisible();
  await nextFrame(tab);
  expect(dialogs).toBe(0);
});

/** Waits for the next frame of `page`, so a pending alert would show. */
async function nextFrame(page: Page): Promise<void> {
  await page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(resolve)),
  );
}

test("delete for everyone clears cached copies", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Gone ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "g.png", mimeType: "image/png", buffer: makePng(70, 70) }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  await expect.poll(() => naturalWidth(fullImage(received))).toBe(70);
  expect(await cachedFiles(ben.page)).toBe(1);

  await chooseAction(
    ana.page,
    messageWith(ana.page, caption),
    "Delete for everyone",
  );
  await expect(messageWith(ben.page, "This message was deleted")).toHaveCount(
    1,
  );
  await expect
    .poll(() => cachedFiles(ben.page), {
      message: "decrypted copies kept by the recipient",
    })
    .toBe(0);
  await expect
    .poll(() => cachedFiles(ana.page), {
      message: "decrypted copies kept by the sender",
    })
    .toBe(0);
});

test("reload mid-upload resends no finished part", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const beforeReload: number[] = [];
  const afterReload: number[] = [];
  let reloaded = false;
  await ana.context.route(PART_PUT, async (route) => {
    const part = partNumber(route);
    (reloaded ? afterReload : beforeReload).push(part);
    // Part 2 never reaches the server before the reload.
    if (!reloaded && part >= 2) return;
    await route.fallback();
  });
  const name = `big-${randomUUID()}.bin`;
  await sendFiles(ana.page, "Document", [
    {
      name,
      mimeType: "application/octet-stream",
      buffer: randomBytes(TWO_PARTS),
    },
  ]);
  await expect
    .poll(() => beforeReload.includes(2), { timeout: 60_000 })
    .toBe(true);

  reloaded = true;
  await ana.page.reload();
  await openChat(ana.page, "Ben");
  await expect(messageWith(ben.page, name)).toBeVisible({ timeout: 90_000 });
  expect(beforeReload).toEqual([1, 2]);
  expect(afterReload).toEqual([2]);
});

test("offline mid-upload resumes online", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const sent: number[] = [];
  let markSecond = () => {};
  const second = new Promise<void>((resolve) => (markSecond = resolve));
  let holding = true;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await ana.context.route(PART_PUT, async (route) => {
    const part = partNumber(route);
    sent.push(part);
    if (part === 2 && holding) {
      markSecond();
      await released;
      await route.abort("internetdisconnected");
      return;
    }
    await route.fallback();
  });
  const name = `offline-${randomUUID()}.bin`;
  await sendFiles(ana.page, "Document", [
    {
      name,
      mimeType: "application/octet-stream",
      buffer: randomBytes(TWO_PARTS),
    },
  ]);
  await second;
  await ana.context.setOffline(true);
  holding = false;
  release();
  await expect(messageWith(ana.page, name)).toContainText(
    "Waiting for network",
  );

  await ana.context.setOffline(false);
  await expect(messageWith(ben.page, name)).toBeVisible({ timeout: 90_000 });
  expect(sent.filter((part) => part === 1)).toHaveLength(1);
});

test("two tabs send and view photos", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const second = await ana.context.newPage();
  await second.goto("/");
  await openChat(second, "Ben");
  const first = `Tab one ${randomUUID()}`;
  const other = `Tab two ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "t.png", mimeType: "image/png", buffer: makePng(40, 40) }],
    first,
  );
  await sendFiles(
    second,
    "Photo or video",
    [{ name: "u.png", mimeType: "image/png", buffer: makePng(30, 30) }],
    other,
  );
  for (const page of [ana.page, second, ben.page]) {
    await expect
      .poll(() => naturalWidth(fullImage(messageWith(page, first))))
      .toBe(40);
    await expect
      .poll(() => naturalWidth(fullImage(messageWith(page, other))))
      .toBe(30);
  }
});

/** Sends a recorded video of `seconds` from `page` with `caption`. */
async function sendVideo(page: Page, caption: string, seconds: number) {
  await pasteRecordedVideo(page, "clip.webm", seconds);
  const sheet = page.getByRole("dialog", { name: "Send 1 file" });
  await sheet
    .getByRole("textbox", { name: "Caption for clip.webm" })
    .fill(caption);
  await sheet.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sheet).toHaveCount(0);
}

test("streamed video seeks past the start", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await waitForServiceWorker(ben.page);
  await openChat(ben.page, "Ana");
  const caption = `Seek ${randomUUID()}`;
  await sendVideo(ana.page, caption, 6);
  await messageWith(ben.page, caption)
    .getByRole("button", { name: "Play video" })
    .click();
  const video = ben.page
    .getByRole("dialog", { name: "Video viewer" })
    .locator("video");
  await expect(video).toBeVisible({ timeout: 20_000 });
  await video.evaluate((element: HTMLVideoElement) => {
    element.currentTime = 4;
  });
  await expect
    .poll(
      () => video.evaluate((element: HTMLVideoElement) => element.currentTime),
      { timeout: 15_000 },
    )
    .toBeGreaterThan(4.2);
});

const STREAM_FAILURES: [string, (route: Route) => Promise<void>][] = [
  [
    "tampered",
    async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      for (let index = 0; index < body.length; index += 997) {
        body[index] = (body[index] ?? 0) ^ 0x55;
      }
      await route.fulfill({ response, body });
    },
  ],
  ["missing", (route) => route.fulfill({ status: 404, body: "" })],
];

for (const [label, serve] of STREAM_FAILURES) {
  test(`${label} streamed video shows an error`, async ({ newPerson }) => {
    const { ana, ben } = await directPair(newPerson);
    await waitForServiceWorker(ben.page);
    await openChat(ben.page, "Ana");
    await ben.context.route(MEDIA_GET, serve);
    const caption = `Clip ${randomUUID()}`;
    await sendVideo(ana.page, caption, 2);
    await messageWith(ben.page, caption)
      .getByRole("button", { name: "Play video" })
      .click();
    const viewer = ben.page.getByRole("dialog", { name: "Video viewer" });
    await expect(viewer).toContainText(/damaged|no longer available/);
  });
}

test("interrupted streamed video retries", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await waitForServiceWorker(ben.page);
  await openChat(ben.page, "Ana");
  await ben.context.route(MEDIA_GET, (route) => route.abort("failed"));
  const caption = `Cut ${randomUUID()}`;
  await sendVideo(ana.page, caption, 2);
  await messageWith(ben.page, caption)
    .getByRole("button", { name: "Play video" })
    .click();
  const viewer = ben.page.getByRole("dialog", { name: "Video viewer" });
  await expect(viewer.getByRole("alert")).toContainText(
    "The download was interrupted",
  );

  await ben.context.unroute(MEDIA_GET);
  await viewer.getByRole("button", { name: "Retry playback" }).click();
  await expect(viewer.getByRole("alert")).toHaveCount(0);
  await expect
    .poll(
      () =>
        viewer
          .locator("video")
          .evaluate((element: HTMLVideoElement) => element.readyState),
      { timeout: 15_000 },
    )
    .toBeGreaterThanOrEqual(1);
});

/** Returns a WAV file of `seconds` of a 440 Hz tone, 8 kHz mono 16-bit. */
function makeWav(seconds: number): Buffer {
  const rate = 8000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write("RIFF", 0, "ascii");
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write("WAVEfmt ", 8, "ascii");
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write("data", 36, "ascii");
  wav.writeUInt32LE(samples * 2, 40);
  for (let index = 0; index < samples; index += 1) {
    const level = Math.sin((2 * Math.PI * 440 * index) / rate);
    wav.writeInt16LE(Math.round(level * 8000), 44 + index * 2);
  }
  return wav;
}

test("missing streamed audio file shows an error", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await waitForServiceWorker(ben.page);
  await openChat(ben.page, "Ana");
  await ben.context.route(MEDIA_GET, (route) =>
    route.fulfill({ status: 404, body: "" }),
  );
  const caption = `Tone ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Document",
    [{ name: "tone.wav", mimeType: "audio/wav", buffer: makeWav(1) }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  await expect(received.locator("audio")).toHaveCount(1);
  await expect(received.getByRole("alert")).toHaveText(
    "This file is no longer available.",
  );
});

test("missing voice message shows one error", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await waitForServiceWorker(ben.page);
  await openChat(ben.page, "Ana");
  await ben.context.route(MEDIA_GET, (route) =>
    route.fulfill({ status: 404, body: "" }),
  );
  await ana.page.getByRole("button", { name: "Record voice message" }).click();
  const recording = ana.page.getByRole("group", {
    name: "Recording voice message",
  });
  await expect(recording.getByRole("timer")).toHaveText("0:01");
  await recording.getByRole("button", { name: "Send voice message" }).click();
  const received = ben.page
    .getByRole("article")
    .filter({ has: ben.page.getByRole("slider") });
  await expect(received.getByRole("alert")).toContainText(
    "This file is no longer available.",
  );
  await expect(received.getByRole("alert")).toHaveCount(1);
});

test("invalid file description shows a notice", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `invalid-${randomUUID()}.txt`;
  // Ana's client writes a MIME type over the 255-character limit into
  // the message body, as a faulty or hostile client could, so Ben's
  // client rejects the file's description.
  await ana.page.evaluate((marker) => {
    type Stringify = (value: unknown, ...rest: unknown[]) => string;
    const original = JSON.stringify.bind(JSON) as Stringify;
    const json = JSON as unknown as { stringify: Stringify };
    json.stringify = (value, ...rest) => {
      const body = value as { media?: { name?: unknown } } | null;
      if (body?.media?.name !== marker) return original(value, ...rest);
      const media = { ...body.media, mime: "x".repeat(300) };
      return original({ ...body, media }, ...rest);
    };
  }, name);
  await sendFiles(ana.page, "Document", [
    { name, mimeType: "text/plain", buffer: Buffer.from("invalid\n") },
  ]);
  await expect(messageWith(ana.page, name)).toBeVisible();
  const received = messageWith(ben.page, "This file can't be shown");
  await expect(received).toHaveCount(1);
  await expect(received.getByText("This file can't be shown")).toHaveCSS(
    "font-style",
    "italic",
  );
  await expect(
    received.getByRole("button", { name: /^Download / }),
  ).toHaveCount(0);
});

test("file with a 300-character name arrives", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `${"n".repeat(290)}${randomUUID().slice(0, 6)}.txt`;
  await sendFiles(ana.page, "Document", [
    { name, mimeType: "text/plain", buffer: Buffer.from("long name\n") },
  ]);
  const received = ben.page.getByRole("article").filter({ hasText: "nnnnn" });
  await expect(received).toBeVisible();
  await expect(
    received.getByRole("button", { name: /^Download / }),
  ).toBeVisible();
});
