import type { Locator, Page } from "@playwright/test";
import {
  chatHeader,
  chatLink,
  expect,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
} from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";

async function openSettings(page: Page): Promise<void> {
  await page.goto("/");
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
}

/**
 * Draws a 900×600 PNG in the page: a red band of 150 pixels on the left, a
 * blue one on the right, green between. Its centred square is all green.
 */
async function landscapePng(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 900;
    canvas.height = 600;
    const context = canvas.getContext("2d")!;
    context.fillStyle = "#00ff00";
    context.fillRect(0, 0, 900, 600);
    context.fillStyle = "#ff0000";
    context.fillRect(0, 0, 150, 600);
    context.fillStyle = "#0000ff";
    context.fillRect(750, 0, 150, 600);
    return canvas.toDataURL("image/png").split(",")[1]!;
  });
  return Buffer.from(base64, "base64");
}

type CanvasToBlob = (
  this: HTMLCanvasElement,
  ...args: Parameters<HTMLCanvasElement["toBlob"]>
) => void;

/** Chooses `file` in the Profile card's hidden file field. */
async function choosePhoto(
  page: Page,
  file: { name: string; mimeType: string; buffer: Buffer },
): Promise<void> {
  await page.getByLabel("Photo file").setInputFiles(file);
}

/** Returns the profile photo inside an avatar, once it has loaded. */
function loadedPhoto(avatarArea: Locator): Locator {
  return avatarArea.locator("img.avatar__photo.avatar__photo--loaded");
}

async function myId(page: Page): Promise<string> {
  const reply = await page.request.get("/api/me");
  expect(reply.status()).toBe(200);
  return ((await reply.json()) as { me: { id: string } }).me.id;
}

/** Decodes the photo at `url`: its type, size and corner colours. */
async function inspectPhoto(page: Page, url: string) {
  return page.evaluate(async (src) => {
    const blob = await (await fetch(src)).blob();
    const image = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(image.width, image.height);
    const context = canvas.getContext("2d")!;
    context.drawImage(image, 0, 0);
    const pixel = (x: number, y: number) =>
      Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3));
    const last = image.width - 1;
    return {
      type: blob.type,
      bytes: blob.size,
      width: image.width,
      height: image.height,
      corners: [pixel(0, 0), pixel(last, 0), pixel(0, last), pixel(last, last)],
    };
  }, url);
}

test("photo reaches a chat partner and hides again", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await openSettings(ana.page);
  const profile = ana.page.locator("form", {
    has: ana.page.getByRole("heading", { name: "Profile" }),
  });
  await choosePhoto(ana.page, {
    name: "landscape.png",
    mimeType: "image/png",
    buffer: await landscapePng(ana.page),
  });
  const preview = ana.page.getByRole("img", {
    name: "Preview of your new profile photo",
  });
  await expect(preview).toBeVisible();
  await expect
    .poll(() =>
      preview.evaluate((image: HTMLImageElement) => image.naturalWidth),
    )
    .toBe(512);
  await ana.page.getByRole("button", { name: "Save photo" }).click();
  await expect(ana.page.getByText("Profile photo updated.")).toBeVisible();
  const own = loadedPhoto(profile);
  await expect(own).toBeVisible();

  // The upload is the centred square, scaled to 512 pixels, as WebP.
  const anaId = await myId(ana.page);
  const src = (await own.getAttribute("src")) ?? "";
  expect(src).toMatch(new RegExp(`^/api/users/${anaId}/photos/[0-9a-f-]{36}$`));
  const photo = await inspectPhoto(ana.page, src);
  expect(photo.type).toBe("image/webp");
  expect(photo.width).toBe(512);
  expect(photo.height).toBe(512);
  for (const [red, green, blue] of photo.corners) {
    expect(red, "red in a corner").toBeLessThan(40);
    expect(green, "green in a corner").toBeGreaterThan(215);
    expect(blue, "blue in a corner").toBeLessThan(40);
  }

  const ben = await newPerson("Ben");
  await ana.page.goto("/");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Hi Ben");
  await expect(loadedPhoto(chatLink(ben.page, "Ana"))).toHaveAttribute(
    "src",
    src,
  );
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "Hi Ben")).toBeVisible();
  await expect(loadedPhoto(chatHeader(ben.page))).toHaveAttribute("src", src);

  // Once the service worker controls the page, it keeps the photo for
  // offline use. The worker may claim the page after the photo loaded, so
  // a reload makes the photo go through it.
  await waitForServiceWorker(ben.page);
  await ben.page.reload();
  await expect(loadedPhoto(chatHeader(ben.page))).toBeVisible();
  await expect
    .poll(() =>
      ben.page.evaluate(async () => {
        const cache = await caches.open("profile-photos");
        const keys = await cache.keys();
        return keys.map((request) => new URL(request.url).pathname);
      }),
    )
    .toContain(src);
  await ben.context.setOffline(true);
  await ben.page.reload();
  await expect(loadedPhoto(chatHeader(ben.page))).toHaveAttribute("src", src);
  await ben.context.setOffline(false);

  // Ana hides her photo from everyone.
  await openSettings(ana.page);
  const visibility = ana.page.getByRole("combobox", { name: "Profile photo" });
  await visibility.selectOption({ label: "Nobody" });
  await expect(visibility).toHaveValue("nobody");
  await expect
    .poll(async () => {
      const reply = await ana.page.request.get("/api/me");
      const body = (await reply.json()) as {
        me: { settings: { photoVisibility: string } };
      };
      return body.me.settings.photoVisibility;
    })
    .toBe("nobody");

  // Ben's next load fetches Ana's profile again, and the initials return.
  const refreshed = ben.page.waitForResponse(
    (reply) =>
      new URL(reply.url()).pathname === "/api/users/profiles" &&
      (reply.request().postData() ?? "").includes(anaId),
  );
  await ben.page.goto("/");
  expect((await refreshed).status()).toBe(200);
  const listAvatar = chatLink(ben.page, "Ana").locator(".avatar");
  await expect(listAvatar).toHaveText("A");
  await expect(listAvatar.locator("img")).toHaveCount(0);
  await openChat(ben.page, "Ana");
  await expect(chatHeader(ben.page).locator(".avatar")).toHaveText("A");
  await expect(chatHeader(ben.page).locator(".avatar img")).toHaveCount(0);
  const direct = await ben.page.request.get(src);
  expect(direct.status()).toBe(404);
});

test("photo picker explains bad files", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await openSettings(ana.page);
  const alert = ana.page.getByRole("alert").filter({ hasText: /\w/ });

  await choosePhoto(ana.page, {
    name: "notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("not a photo"),
  });
  await expect(alert).toHaveText("That file is not an image. Choose a photo.");

  await choosePhoto(ana.page, {
    name: "broken.png",
    mimeType: "image/png",
    buffer: Buffer.from("\x89PNG\r\n\x1a\nbroken"),
  });
  await expect(alert).toHaveText(/^This photo could not be read\./);
  await expect(
    ana.page.getByRole("button", { name: "Save photo" }),
  ).toHaveCount(0);
});

test("photo falls back to JPEG without WebP", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  // The canvas returns PNG when asked for WebP, as the HTML standard
  // requires of a browser without a WebP encoder.
  await ana.context.addInitScript(() => {
    const prototype = HTMLCanvasElement.prototype;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, "toBlob");
    const toBlob = descriptor?.value as CanvasToBlob;
    prototype.toBlob = function (callback, type, quality) {
      const asked = type === "image/webp" ? "image/png" : type;
      toBlob.call(this, callback, asked, quality);
    };
  });
  await openSettings(ana.page);
  const profile = ana.page.locator("form", {
    has: ana.page.getByRole("heading", { name: "Profile" }),
  });
  await choosePhoto(ana.page, {
    name: "landscape.png",
    mimeType: "image/png",
    buffer: await landscapePng(ana.page),
  });
  await ana.page.getByRole("button", { name: "Save photo" }).click();
  const own = loadedPhoto(profile);
  await expect(own).toBeVisible();
  const photo = await inspectPhoto(ana.page, (await own.getAttribute("src"))!);
  expect(photo.type).toBe("image/jpeg");
  expect(photo.width).toBe(512);
  expect(photo.height).toBe(512);
});

test("photo save offline fails, then removal", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await openSettings(ana.page);
  const profile = ana.page.locator("form", {
    has: ana.page.getByRole("heading", { name: "Profile" }),
  });
  await choosePhoto(ana.page, {
    name: "landscape.png",
    mimeType: "image/png",
    buffer: await landscapePng(ana.page),
  });
  const save = ana.page.getByRole("button", { name: "Save photo" });
  await expect(save).toBeVisible();

  await ana.context.setOffline(true);
  await save.click();
  // Offline, the notifications card shows an alert of its own.
  await expect(profile.getByRole("alert").filter({ hasText: /\w/ })).toHaveText(
    "You are offline. Connect to the internet, then save the photo again.",
  );
  await ana.context.setOffline(false);
  await save.click();
  await expect(ana.page.getByText("Profile photo updated.")).toBeVisible();
  await expect(loadedPhoto(profile)).toBeVisible();

  await ana.page.getByRole("button", { name: "Remove photo" }).click();
  await expect(ana.page.getByText("Profile photo removed.")).toBeVisible();
  await expect(profile.locator(".avatar")).toHaveText("A");
  await expect(profile.locator(".avatar img")).toHaveCount(0);
  await ana.page.reload();
  await expect(profile.locator(".avatar")).toHaveText("A");
  await expect(profile.locator(".avatar img")).toHaveCount(0);
  await expect(
    ana.page.getByRole("button", { name: "Remove photo" }),
  ).toHaveCount(0);
});
