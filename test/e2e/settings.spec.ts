import type { Page } from "@playwright/test";
import {
  directPair,
  expect,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";

/**
 * Time given to a read receipt that must not arrive. A receipt that does
 * arrive takes well under a second on loopback.
 */
const RECEIPT_GRACE_MS = 2_000;

async function openSettings(page: Page): Promise<void> {
  await page.goto("/");
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
}

test("read receipts off hides read ticks", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  // With receipts on, Ben's reading shows as Read for Ana.
  await expect(tickOf(messageWith(ana.page, "Hi Ben"))).toHaveAttribute(
    "aria-label",
    "Read",
  );

  await openSettings(ben.page);
  const receipts = ben.page.getByRole("checkbox", { name: "Read receipts" });
  await expect(receipts).toBeChecked();
  // The server's answer is held back, so the saving state cannot pass
  // before the check sees it.
  let releaseSave = (): void => {};
  const saveHeld = new Promise<void>((resolve) => {
    releaseSave = resolve;
  });
  await ben.page.route("**/api/me/settings", async (route) => {
    await saveHeld;
    await route.continue();
  });
  await receipts.uncheck();
  // The toggle waits for the server while the change is saved.
  await expect(receipts).toBeDisabled();
  releaseSave();
  await expect(ben.page.getByText("Saved.")).toBeVisible();
  await ben.page.unroute("**/api/me/settings");
  await expect(receipts).toBeEnabled();
  await expect(receipts).not.toBeChecked();
  await ben.page.reload();
  await expect(receipts).not.toBeChecked();
  await ben.page.goto("/");
  await openChat(ben.page, "Ana");

  // Ana's new message reaches Ben's open chat, but Ana's tick stays Delivered.
  await sendText(ana.page, "Are you reading this?");
  await expect(messageWith(ben.page, "Are you reading this?")).toBeVisible();
  const question = messageWith(ana.page, "Are you reading this?");
  await expect(tickOf(question)).toHaveAttribute("aria-label", "Delivered");

  // Ben's message read by Ana shows no Read for Ben either.
  await sendText(ben.page, "Maybe");
  await expect(messageWith(ana.page, "Maybe")).toBeVisible();
  const maybe = messageWith(ben.page, "Maybe");
  await expect(tickOf(maybe)).toHaveAttribute("aria-label", "Delivered");

  await ana.page.waitForTimeout(RECEIPT_GRACE_MS);
  await expect(tickOf(question)).toHaveAttribute("aria-label", "Delivered");
  await expect(tickOf(maybe)).toHaveAttribute("aria-label", "Delivered");
});

test("revoked device is logged out", async ({ newPerson, newDevice }) => {
  const ana = await newPerson("Ana");
  const laptop = await newDevice(ana);

  await openSettings(ana.page);
  await ana.page
    .getByRole("link", { name: "Linked devices" })
    .or(ana.page.getByRole("button", { name: "Linked devices" }))
    .click();
  await expect(
    ana.page.getByRole("heading", { name: "Linked devices" }),
  ).toBeVisible();
  const devices = ana.page.getByRole("list").filter({ hasText: "This device" });
  await expect(devices.getByRole("listitem")).toHaveCount(2);
  await expect(
    devices.getByRole("listitem").filter({ hasText: "This device" }),
  ).toHaveCount(1);

  await devices.getByRole("button", { name: /^Log out / }).click();
  await expect(laptop.getByText("This device was logged out.")).toBeVisible();
  await expect(
    laptop.getByRole("button", { name: "Sign in again" }),
  ).toBeVisible();
  await expect(devices.getByRole("listitem")).toHaveCount(1);

  // The revoked session no longer opens the API.
  const me = await laptop.request.get("/api/me");
  expect(me.status()).toBe(401);
});

test("a setting that fails to save shows the stored value", async ({
  newPerson,
}) => {
  const ana = await newPerson("Ana");
  await openSettings(ana.page);
  const receipts = ana.page.getByRole("checkbox", { name: "Read receipts" });
  await expect(receipts).toBeChecked();

  // The request never reaches the server, as when the network drops.
  await ana.page.route("**/api/me/settings", (route) => route.abort());
  await receipts.click();
  const privacy = ana.page.getByRole("region", { name: "Privacy" });
  await expect(privacy.getByRole("alert")).not.toBeEmpty();
  await expect(receipts).toBeEnabled();
  await expect(receipts).toBeChecked();

  await ana.page.unroute("**/api/me/settings");
  await ana.page.reload();
  await expect(receipts).toBeChecked();
});
