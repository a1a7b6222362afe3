import type { Page } from "@playwright/test";
import { expect, test } from "./helpers.ts";

// Screens other than the chat list, and libphonenumber-js, are split into
// chunks that load on demand. The service worker precaches them, so an
// installed app opens them offline even when this page never loaded them.

/** Waits until the service worker controls `page`, so reloads are cached. */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) {
    await page.reload();
  }
  await expect
    .poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), {
      message: "a service worker controls the page",
    })
    .toBe(true);
}

test("offline opens screens loaded on demand", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await waitForServiceWorker(ana.page);
  await ana.context.setOffline(true);
  await ana.page.goto("/");

  await ana.page.getByRole("button", { name: "Settings" }).click();
  const profile = ana.page.getByRole("form", { name: "Profile" });
  await expect(profile).toBeVisible();
  // The number shows formatted once libphonenumber-js has loaded.
  const national = ana.phone.slice("+4930".length);
  await expect(profile.getByText(`+49 30 ${national}`)).toBeVisible();

  await ana.page.goto("/");
  await ana.page.getByRole("button", { name: "New chat" }).click();
  await expect(
    ana.page.getByRole("heading", { name: "New chat", level: 1 }),
  ).toBeVisible();
});
