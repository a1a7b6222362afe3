import { randomBytes, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import type { Route } from "@playwright/test";
import {
  chooseAction,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
} from "./helpers.ts";
import {
  downloadedBytes,
  fullImage,
  makePng,
  naturalWidth,
  pasteRecordedVideo,
  sendFiles,
  sha256,
  MEDIA_GET,
  PART_PUT,
} from "./media-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";
import { createGroup, networkStatus } from "./steps.ts";

/**
 * Holds every request matching `pattern` and `method` until `release` is
 * called, and resolves `seen` at the first one.
 */
function holdRequests(pattern: RegExp, method: string) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let markSeen = () => {};
  const seen = new Promise<void>((resolve) => (markSeen = resolve));
  const handler = async (route: Route) => {
    if (route.request().method() !== method) {
      await route.fallback();
      return;
    }
    markSeen();
    await released;
    await route.fallback();
  };
  return { pattern, handler, seen, release };
}

test("photo shows its preview before the image", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Sunset ${randomUUID()}`;
  const upload = holdRequests(PART_PUT, "PUT");
  await ana.context.route(upload.pattern, upload.handler);
  const download = holdRequests(MEDIA_GET, "GET");
  await ben.context.route(download.pattern, download.handler);

  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "sunset.png", mimeType: "image/png", buffer: makePng(320, 200) }],
    caption,
  );
  const sent = messageWith(ana.page, caption);
  await upload.seen;
  await expect(
    sent.getByRole("progressbar", { name: "Upload progress" }),
  ).toBeVisible();
  await expect(
    sent.getByRole("button", { name: "Cancel upload" }),
  ).toBeVisible();
  upload.release();
  await expect(
    sent.getByRole("progressbar", { name: "Upload progress" }),
  ).toHaveCount(0);

  const received = messageWith(ben.page, caption);
  await download.seen;
  await expect(
    received.getByRole("img", { name: "Photo preview" }),
  ).toBeVisible();
  await expect(fullImage(received)).toHaveCount(0);
  download.release();
  await expect(fullImage(received)).toBeVisible();
  await expect.poll(() => naturalWidth(fullImage(received))).toBe(320);
  await expect(
    received.getByRole("img", { name: "Photo preview" }),
  ).toHaveCount(0);
});

test("large file arrives with the same bytes", async ({
  newPerson,
}, testInfo) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `archive-${randomUUID()}.bin`;
  const bytes = randomBytes(20 * 1024 * 1024);
  // Chromium reads a file on disk itself, whereas 20 MiB in memory would
  // cross the DevTools protocol, which is slow on a loaded machine.
  const path = testInfo.outputPath(name);
  await writeFile(path, bytes);
  // The parts wait until the progress was seen, which a fast machine could
  // otherwise finish first.
  const upload = holdRequests(PART_PUT, "PUT");
  await ana.context.route(upload.pattern, upload.handler);

  await sendFiles(ana.page, "Document", [path]);
  const sent = messageWith(ana.page, name);
  const progress = sent.getByRole("progressbar", { name: "Upload progress" });
  await upload.seen;
  await expect(progress).toBeVisible();
  await expect(sent).toContainText(/of 21\.0 MB \(\d+%\)/);
  await expect(
    sent.getByRole("button", { name: "Cancel upload" }),
  ).toBeVisible();
  upload.release();
  await expect(progress).toHaveCount(0, { timeout: 60_000 });

  const received = messageWith(ben.page, name);
  await expect(received).toContainText("21.0 MB");
  await received.getByRole("button", { name: `Download ${name}` }).click();
  const save = received.getByRole("button", { name: `Save ${name}` });
  await expect(save).toBeVisible({ timeout: 60_000 });
  const downloading = ben.page.waitForEvent("download");
  await save.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(name);
  expect(sha256(await downloadedBytes(download))).toBe(sha256(bytes));
});

test("voice message plays on the other side", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const recording = ana.page.getByRole("group", {
    name: "Recording voice message",
  });
  const record = ana.page.getByRole("button", { name: "Record voice message" });
  await record.click();
  await expect(recording.getByRole("timer")).toHaveText("0:01");
  await recording
    .getByRole("button", { name: "Discard voice message" })
    .click();
  await expect(recording).toHaveCount(0);

  await record.click();
  await expect(recording.getByRole("timer")).toHaveText("0:02", {
    timeout: 15_000,
  });
  // The fake microphone beeps once a second, so the level is read more
  // often than that to catch a beep.
  await expect
    .poll(
      async () =>
        Number(
          await recording
            .getByRole("meter", { name: "Microphone level" })
            .getAttribute("aria-valuenow"),
        ),
      { intervals: [70] },
    )
    .toBeGreaterThan(0);
  await recording.getByRole("button", { name: "Send voice message" }).click();
  await expect(recording).toHaveCount(0);

  const play = ben.page.getByRole("button", { name: "Play voice message" });
  await expect(play.first()).toBeEnabled({ timeout: 20_000 });
  // The discarded note would have arrived before the sent one.
  await expect(play).toHaveCount(1);
  await play.click();
  await expect(
    ben.page.getByRole("button", { name: "Pause voice message" }),
  ).toBeVisible();
  await ben.page.getByRole("button", { name: "Playback speed 1×" }).click();
  await expect(
    ben.page.getByRole("button", { name: "Playback speed 1.5×" }),
  ).toBeVisible();
  const audio = ben.page.locator("article audio");
  await expect
    .poll(() => audio.evaluate((element: HTMLAudioElement) => element.duration))
    .toBeGreaterThan(0);
  await expect
    .poll(() =>
      audio.evaluate((element: HTMLAudioElement) => element.currentTime),
    )
    .toBeGreaterThan(0.5);
  expect(
    await audio.evaluate((element: HTMLAudioElement) => element.playbackRate),
  ).toBe(1.5);
});

test("downloaded photo shows offline", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Harbour ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "harbour.png", mimeType: "image/png", buffer: makePng(200, 150) }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  await expect.poll(() => naturalWidth(fullImage(received))).toBe(200);
  await waitForServiceWorker(ben.page);

  await ben.context.setOffline(true);
  await ben.page.goto("/");
  await openChat(ben.page, "Ana");
  const offline = messageWith(ben.page, caption);
  await expect(fullImage(offline)).toBeVisible();
  await expect.poll(() => naturalWidth(fullImage(offline))).toBe(200);
});

test("non-member gets 404 for media", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const cleo = await newPerson("Cleo");
  const caption = `Private ${randomUUID()}`;
  const created = ana.page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      /\/api\/chats\/[^/]+\/media$/.test(response.url()),
  );
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "private.png", mimeType: "image/png", buffer: makePng(64, 64) }],
    caption,
  );
  const response = await created;
  const { mediaId } = (await response.json()) as { mediaId: string };
  const url = `${response.url()}/${mediaId}`;
  await expect
    .poll(() => naturalWidth(fullImage(messageWith(ben.page, caption))))
    .toBe(64);

  const member = await ben.page.request.get(url);
  expect(member.status(), "status for a member").toBe(200);
  const stranger = await cleo.page.request.get(url);
  expect(stranger.status(), "status for a non-member").toBe(404);
  const unknown = await cleo.page.request.get(
    url.replace(mediaId, "A".repeat(22)),
  );
  expect(unknown.status(), "status for an unknown file").toBe(404);
});

test("file name in any script is kept", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `報告書 تقرير 🎉📎 ${randomUUID().slice(0, 8)}.txt`;
  const content = Buffer.from(`Notes ${randomUUID()}\n`, "utf8");
  await sendFiles(ana.page, "Document", [
    { name, mimeType: "text/plain", buffer: content },
  ]);
  await expect(messageWith(ana.page, name)).toBeVisible();

  const received = messageWith(ben.page, name);
  await expect(received).toContainText(name);
  await received.getByRole("button", { name: `Download ${name}` }).click();
  const downloading = ben.page.waitForEvent("download");
  await received.getByRole("button", { name: `Save ${name}` }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(name);
  expect(await downloadedBytes(download)).toEqual(content);
});

test("empty file of unknown type is sent", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `empty-${randomUUID()}.xyz`;
  await sendFiles(ana.page, "Document", [
    { name, mimeType: "", buffer: Buffer.alloc(0) },
  ]);
  const received = messageWith(ben.page, name);
  await expect(received).toContainText("0 B");
  // Save in the message's menu downloads the file first.
  const downloading = ben.page.waitForEvent("download");
  await chooseAction(ben.page, received, "Save");
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(name);
  expect((await downloadedBytes(download)).length).toBe(0);
});

test("viewer steps through photos", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Album ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [
      { name: "wide.png", mimeType: "image/png", buffer: makePng(240, 120) },
      { name: "tall.png", mimeType: "image/png", buffer: makePng(90, 180) },
    ],
    caption,
  );
  const first = messageWith(ben.page, caption);
  await expect.poll(() => naturalWidth(fullImage(first))).toBe(240);

  await first.getByRole("button", { name: "Open photo" }).click();
  const viewer = ben.page.getByRole("dialog", { name: "Photo viewer" });
  await expect(viewer).toContainText("1 of 2");
  await expect(viewer).toContainText(caption);
  await expect(viewer.getByRole("button", { name: "Previous" })).toBeDisabled();
  await ben.page.keyboard.press("ArrowRight");
  await expect(viewer).toContainText("2 of 2");
  await expect.poll(() => naturalWidth(fullImage(viewer))).toBe(90);
  await expect(viewer.getByRole("button", { name: "Next" })).toBeDisabled();
  await viewer.getByRole("button", { name: "Previous" }).click();
  await expect(viewer).toContainText("1 of 2");

  // A swipe to the left shows the next photo, one to the right the one
  // before.
  const box = await fullImage(viewer).boundingBox();
  if (box === null) throw new Error("the photo in the viewer has no box");
  const middle = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  for (const [offset, expected] of [
    [-150, "2 of 2"],
    [150, "1 of 2"],
  ] as const) {
    await ben.page.mouse.move(middle.x, middle.y);
    await ben.page.mouse.down();
    await ben.page.mouse.move(middle.x + offset, middle.y, { steps: 5 });
    await ben.page.mouse.up();
    await expect(viewer).toContainText(expected);
  }

  const downloading = ben.page.waitForEvent("download");
  await viewer.getByRole("button", { name: "Save" }).click();
  expect((await downloading).suggestedFilename()).toBe("wide.png");
  await ben.page.keyboard.press("Escape");
  await expect(viewer).toHaveCount(0);

  // A reply quotes the photo by kind and caption.
  await chooseAction(ben.page, first, "Reply");
  await sendText(ben.page, "Lovely colours");
  const reply = messageWith(ana.page, "Lovely colours");
  await expect(
    reply.getByRole("button", { name: /Photo: Album/ }),
  ).toBeVisible();
});

test("paste and drop open the attachment sheet", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await ana.page.getByRole("textbox", { name: "Message", exact: true }).focus();
  await ana.page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(new File(["pasted"], "pasted.txt", { type: "text/plain" }));
    document.activeElement?.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
    );
  });
  const sheet = ana.page.getByRole("dialog");
  await expect(sheet.getByRole("listitem")).toHaveCount(1);
  await ana.page.evaluate(() => {
    const data = new DataTransfer();
    data.items.add(
      new File(["dropped"], "dropped.txt", { type: "text/plain" }),
    );
    const chat = document.querySelector("section.chat");
    for (const type of ["dragenter", "dragover", "drop"]) {
      chat?.dispatchEvent(
        new DragEvent(type, { dataTransfer: data, bubbles: true }),
      );
    }
  });
  await expect(sheet.getByRole("listitem")).toHaveCount(2);
  await expect(sheet).toContainText("pasted.txt");
  await expect(sheet).toContainText("dropped.txt");

  const chooser = ana.page.waitForEvent("filechooser");
  await sheet.getByRole("button", { name: "Add files" }).click();
  await (
    await chooser
  ).setFiles({
    name: "added.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("added"),
  });
  await expect(sheet.getByRole("listitem")).toHaveCount(3);

  await sheet.getByRole("button", { name: "Remove pasted.txt" }).click();
  await expect(sheet.getByRole("listitem")).toHaveCount(2);
  await sheet.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sheet).toHaveCount(0);
  await expect(messageWith(ben.page, "dropped.txt")).toBeVisible();
  await expect(messageWith(ben.page, "added.txt")).toBeVisible();
  await expect(messageWith(ana.page, "dropped.txt")).toBeVisible();
  await expect(messageWith(ana.page, "pasted.txt")).toHaveCount(0);
});

test("blocked microphone shows a message", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await ana.page.addInitScript(() => {
    navigator.mediaDevices.getUserMedia = () =>
      Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  });
  await ana.page.reload();
  await openDirectChat(ana.page, ben.phone);
  await ana.page.getByRole("button", { name: "Record voice message" }).click();
  await expect(
    ana.page
      .getByRole("alert")
      .filter({ hasText: "Microphone access is blocked" }),
  ).toBeVisible();
  await expect(
    ana.page.getByRole("group", { name: "Recording voice message" }),
  ).toHaveCount(0);
});

test("settings clear downloaded media", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Cache ${randomUUID()}`;
  // Enter in the caption field sends, like Send.
  const chooser = ana.page.waitForEvent("filechooser");
  await ana.page.getByRole("button", { name: "Attach" }).click();
  await ana.page.getByRole("menuitem", { name: "Photo or video" }).click();
  await (
    await chooser
  ).setFiles({
    name: "cache.png",
    mimeType: "image/png",
    buffer: makePng(100, 100),
  });
  const sheet = ana.page.getByRole("dialog", { name: "Send 1 file" });
  const field = sheet.getByRole("textbox", { name: "Caption for cache.png" });
  await field.fill(caption);
  // Send waits until the file is described, which its thumbnail shows.
  await expect(sheet.getByRole("img", { name: "Photo" })).toBeVisible();
  await field.press("Enter");
  await expect(sheet).toHaveCount(0);
  await expect
    .poll(() => naturalWidth(fullImage(messageWith(ben.page, caption))))
    .toBe(100);

  await ben.page.goto("/");
  await ben.page.getByRole("button", { name: "Settings" }).click();
  const storage = ben.page.getByRole("region", { name: "Storage" });
  await expect(storage).toContainText(/Media: [\d.]+ [KM]?B in 1 file/);
  await storage.getByRole("button", { name: "Clear downloaded media" }).click();
  await ben.page
    .getByRole("dialog", { name: "Clear downloaded media?" })
    .getByRole("button", { name: "Clear" })
    .click();
  await expect(storage).toContainText("Media: 0 B in 0 files");
});

test("file over 2 GiB is not sent", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await ana.page.getByRole("textbox", { name: "Message", exact: true }).focus();
  // A real 3 GiB file would make the test slow and memory-hungry, so the
  // pasted file only claims that size.
  await ana.page.evaluate(() => {
    const huge = new File(["x"], "backup.iso", { type: "" });
    Object.defineProperty(huge, "size", { value: 3 * 1024 ** 3 });
    const small = new File(["notes"], "notes.txt", { type: "text/plain" });
    const data = new DataTransfer();
    data.items.add(huge);
    data.items.add(small);
    document.activeElement?.dispatchEvent(
      new ClipboardEvent("paste", { clipboardData: data, bubbles: true }),
    );
  });
  const sheet = ana.page.getByRole("dialog", { name: "Send 1 file" });
  const tooLarge = "“backup.iso” is 3.2 GB, more than the limit of 2 GiB";
  await expect(
    sheet.getByRole("alert").filter({ hasText: tooLarge }),
  ).toBeVisible();
  await sheet.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sheet).toHaveCount(0);
  await expect(messageWith(ana.page, "notes.txt")).toBeVisible();
  await expect(messageWith(ana.page, "backup.iso")).toHaveCount(0);
});

test("held microphone sends on release", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const page = ana.page;
  await page.getByRole("button", { name: "Record voice message" }).hover();
  await page.mouse.down();
  const recording = page.getByRole("group", {
    name: "Recording voice message",
  });
  await expect(recording.getByRole("timer")).toHaveText("0:01");
  await page.mouse.up();
  await expect(recording).toHaveCount(0);
  await expect(
    messageLog(ben.page).getByRole("button", { name: "Play voice message" }),
  ).toBeEnabled({ timeout: 20_000 });
  await expect(
    messageLog(page).getByRole("button", { name: "Play voice message" }),
  ).toHaveCount(1);
});

test("video plays in the viewer", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const caption = `Clip ${randomUUID()}`;
  await pasteRecordedVideo(ana.page, "clip.webm", 2);
  const sheet = ana.page.getByRole("dialog", { name: "Send 1 file" });
  await expect(sheet.getByRole("img", { name: "Video" })).toBeVisible();
  await sheet
    .getByRole("textbox", { name: "Caption for clip.webm" })
    .fill(caption);
  await sheet.getByRole("button", { name: "Send", exact: true }).click();
  await expect(sheet).toHaveCount(0);

  const received = messageWith(ben.page, caption);
  await expect(
    received.getByRole("img", { name: "Video preview" }),
  ).toBeVisible();
  // MediaRecorder's WebM states no duration, so this checks that the
  // sender measured it.
  await expect(received).toContainText(/\b0:0[1-3] ·/);
  await received.getByRole("button", { name: "Play video" }).click();
  const viewer = ben.page.getByRole("dialog", { name: "Video viewer" });
  const video = viewer.locator("video");
  await expect(video).toBeVisible({ timeout: 20_000 });
  await expect
    .poll(() =>
      video.evaluate((element: HTMLVideoElement) => element.currentTime),
    )
    .toBeGreaterThan(0.3);
  await ben.page.keyboard.press("Escape");
  await expect(viewer).toHaveCount(0);
});

test("photo download retries and cancels", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  let mode: "fail" | "hold" | "pass" = "fail";
  let markHeld = () => {};
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  await ben.context.route(MEDIA_GET, async (route) => {
    if (route.request().method() !== "GET" || mode === "pass") {
      await route.fallback();
    } else if (mode === "fail") {
      await route.fulfill({ status: 500, body: "" });
    } else {
      // Left unanswered, so the download runs until the page cancels it.
      markHeld();
    }
  });

  const caption = `Retry ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "retry.png", mimeType: "image/png", buffer: makePng(120, 80) }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  const retry = received.getByRole("button", { name: "Retry download" });
  await expect(retry).toBeVisible();
  await expect(fullImage(received)).toHaveCount(0);

  mode = "hold";
  await retry.click();
  await held;
  const cancel = received.getByRole("button", { name: "Cancel download" });
  await expect(cancel).toBeVisible();
  await cancel.click();
  const download = received.getByRole("button", { name: "Download photo" });
  await expect(download).toBeVisible();
  await expect(cancel).toHaveCount(0);

  mode = "pass";
  await download.click();
  await expect.poll(() => naturalWidth(fullImage(received))).toBe(120);
});

test("cancelled upload removes the message", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const upload = holdRequests(PART_PUT, "PUT");
  await ana.context.route(upload.pattern, upload.handler);
  const caption = `Cancelled ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "cancel.png", mimeType: "image/png", buffer: makePng(80, 80) }],
    caption,
  );
  await upload.seen;
  const sent = messageWith(ana.page, caption);
  await sent.getByRole("button", { name: "Cancel upload" }).click();
  await expect(sent).toHaveCount(0);
  upload.release();

  // A later message proves that the cancelled one would have arrived.
  await sendText(ana.page, "After the cancel");
  await expect(messageWith(ben.page, "After the cancel")).toBeVisible();
  await expect(messageWith(ben.page, caption)).toHaveCount(0);
});

test("camera item asks for the camera", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  const chooser = ana.page.waitForEvent("filechooser");
  await ana.page.getByRole("button", { name: "Attach" }).click();
  await ana.page.getByRole("menuitem", { name: "Camera" }).click();
  const camera = await chooser;
  // Phones open the camera directly for an input with `capture`.
  expect(await camera.element().getAttribute("capture")).toBe("environment");
  expect(await camera.element().getAttribute("accept")).toBe("image/*,video/*");
  expect(camera.isMultiple()).toBe(false);
});

test("failed photo download resumes online", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  let failing = true;
  await ben.context.route(MEDIA_GET, async (route) => {
    if (failing && route.request().method() === "GET") {
      await route.fulfill({ status: 503, body: "" });
    } else {
      await route.fallback();
    }
  });
  const caption = `Reconnect ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "again.png", mimeType: "image/png", buffer: makePng(150, 90) }],
    caption,
  );
  const received = messageWith(ben.page, caption);
  await expect(
    received.getByRole("button", { name: "Retry download" }),
  ).toBeVisible();

  failing = false;
  await ben.context.setOffline(true);
  await expect(networkStatus(ben.page)).toBeVisible();
  await ben.context.setOffline(false);
  await expect(networkStatus(ben.page)).toHaveCount(0);
  await expect.poll(() => naturalWidth(fullImage(received))).toBe(150);
});

test("viewer loads older photos", async ({ newPerson }) => {
  // Sending enough messages to need a second page takes a while.
  test.slow();
  const { ana, ben } = await directPair(newPerson);
  const oldCaption = `Old ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "old.png", mimeType: "image/png", buffer: makePng(60, 40) }],
    oldCaption,
  );
  // More messages than the list loads at first: pages of 50 until the
  // list is 800 px taller than its viewport.
  for (let count = 1; count <= 110; count += 1) {
    await sendText(ana.page, `Filler ${count}`);
  }
  const newCaption = `New ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "new.png", mimeType: "image/png", buffer: makePng(60, 40) }],
    newCaption,
  );
  // Ben's device decrypts the 110 fillers before the photo arrives.
  await expect(messageWith(ben.page, newCaption)).toBeVisible({
    timeout: 30_000,
  });
  await ben.page.reload();

  await messageWith(ben.page, newCaption)
    .getByRole("button", { name: "Open photo" })
    .click();
  const viewer = ben.page.getByRole("dialog", { name: "Photo viewer" });
  await expect(viewer).toContainText("1 of 1");
  await expect(viewer.getByRole("button", { name: "Previous" })).toBeEnabled();
  await ben.page.keyboard.press("ArrowLeft");
  await expect(viewer).toContainText(oldCaption, { timeout: 20_000 });

  // Nothing older has a photo, so the search ends at the chat's start.
  await ben.page.keyboard.press("ArrowLeft");
  await expect(viewer.getByRole("button", { name: "Previous" })).toBeDisabled({
    timeout: 20_000,
  });
  await expect(viewer).toContainText(oldCaption);
});

test("group members all receive a photo", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  await createGroup(ana, "Trip", [ben, cleo]);
  await sendText(ana.page, "Photos follow");
  await openChat(ben.page, "Trip");
  await openChat(cleo.page, "Trip");
  await expect(messageWith(cleo.page, "Photos follow")).toBeVisible();

  const caption = `Summit ${randomUUID()}`;
  await sendFiles(
    ana.page,
    "Photo or video",
    [{ name: "summit.png", mimeType: "image/png", buffer: makePng(90, 60) }],
    caption,
  );
  for (const member of [ben, cleo]) {
    const received = messageWith(member.page, caption);
    await expect.poll(() => naturalWidth(fullImage(received))).toBe(90);
    // In a group, the bubble names its sender above the photo.
    await expect(received).toContainText("~Ana");
  }
});
