import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./helpers.ts";

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

interface Manifest {
  name: string;
  short_name: string;
  display: string;
  start_url: string;
  theme_color: string;
  background_color: string;
  icons: ManifestIcon[];
  shortcuts: Array<{ name: string; url: string }>;
}

/** Fetches a PNG and returns its width and height from the IHDR chunk. */
async function pngSize(request: APIRequestContext, path: string) {
  const reply = await request.get(path);
  expect(reply.status(), `GET ${path} status`).toBe(200);
  const bytes = await reply.body();
  expect(bytes.subarray(1, 4).toString("latin1"), `${path} is a PNG`).toBe(
    "PNG",
  );
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

test("manifest lists every icon size", async ({ page, request }) => {
  await page.goto("/");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href, "manifest link").not.toBeNull();
  const manifest = (await (await request.get(href ?? "")).json()) as Manifest;
  expect(manifest.name).toBe("Messenger");
  expect(manifest.short_name).toBe("Messenger");
  expect(manifest.display).toBe("standalone");
  expect(manifest.start_url).toBe("/");
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

  const pngs = manifest.icons.filter((icon) => icon.type === "image/png");
  const sizes = pngs.map((icon) => `${icon.sizes} ${icon.purpose ?? "any"}`);
  expect(sizes).toContain("192x192 any");
  expect(sizes).toContain("512x512 any");
  expect(sizes).toContain("512x512 maskable");
  for (const icon of pngs) {
    expect(await pngSize(request, icon.src), icon.src).toBe(icon.sizes);
  }

  const shortcut = manifest.shortcuts.find((item) => item.name === "New chat");
  expect(shortcut?.url).toBe("/new");

  const appleIcon = page.locator('link[rel="apple-touch-icon"]');
  await expect(appleIcon).toHaveAttribute("sizes", "180x180");
  const appleHref = await appleIcon.getAttribute("href");
  expect(await pngSize(request, appleHref ?? "")).toBe("180x180");
});

test("install button shows the browser prompt", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const install = ana.page.getByRole("button", { name: "Install app" });
  await expect(install).toHaveCount(0);

  // Chromium fires beforeinstallprompt only after its own installability
  // checks, which this test does not wait for, so the test fires one.
  await ana.page.evaluate(() => {
    const event = new Event("beforeinstallprompt", { cancelable: true });
    const prompted = { count: 0 };
    Object.assign(window, { installPrompted: prompted });
    Object.assign(event, {
      prompt: () => {
        prompted.count += 1;
        return Promise.resolve();
      },
      userChoice: Promise.resolve({ outcome: "accepted" }),
    });
    window.dispatchEvent(event);
  });
  await install.click();
  const count = await ana.page.evaluate(
    () =>
      (window as unknown as { installPrompted: { count: number } })
        .installPrompted.count,
  );
  expect(count).toBe(1);
  // Each event can prompt once, so the button goes away.
  await expect(install).toHaveCount(0);
});
