import type { Page } from "@playwright/test";
import {
  chatLink,
  directPair,
  expect,
  messageLog,
  messageWith,
  openDirectChat,
  sendText,
  test,
} from "./helpers.ts";

// The security code screen of a one-to-one chat. Both people see the same
// 60 digits, derived from the device keys in the chat's MLS group, and can
// compare them and mark each other verified. A new device of the other
// person changes the code and shows a notice in the chat.

async function openSecurityCode(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Chat info" }).click();
  await page.getByRole("button", { name: "Verify security code" }).click();
  await expect(page).toHaveURL(/\/chat\/[^/]+\/verify$/);
}

function securityCode(page: Page) {
  return page.getByRole("group", { name: "Security code" });
}

test("security code waits for encryption", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);

  await openSecurityCode(ana.page);
  await expect(
    ana.page.getByRole("heading", { name: "Verify security code" }),
  ).toBeVisible();
  await expect(
    ana.page.getByText(/set up with the first message/),
  ).toBeVisible();
  await expect(securityCode(ana.page)).toHaveCount(0);
  await expect(
    ana.page.getByRole("button", { name: "Mark as verified" }),
  ).toHaveCount(0);
});

test("security codes match and verify", async ({ newPerson, newDevice }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Hi Ana");
  await expect(messageWith(ana.page, "Hi Ana")).toBeVisible();

  await openSecurityCode(ana.page);
  await openSecurityCode(ben.page);
  await expect(securityCode(ana.page)).toHaveText(/^(\d{5}){12}$/);
  const anaDigits = await securityCode(ana.page).textContent();
  const benDigits = await securityCode(ben.page).textContent();
  expect(anaDigits).toBe(benDigits);
  await expect(
    ana.page.getByRole("img", { name: /^QR code of your security code/ }),
  ).toBeVisible();

  const entry = ana.page.getByRole("textbox", { name: "Ben's code" });
  await entry.fill("12345 ".repeat(12));
  await ana.page.getByRole("button", { name: "Compare" }).click();
  const result = ana.page
    .getByRole("region", { name: "Compare codes" })
    .getByRole("status");
  await expect(result).not.toHaveText(/^The codes match\./);

  await entry.fill(benDigits ?? "");
  await ana.page.getByRole("button", { name: "Compare" }).click();
  await expect(result).toHaveText(/^The codes match\./);

  await ana.page.getByRole("button", { name: "Mark as verified" }).click();
  await expect(ana.page.getByText(/^✓ You verified .*Ben\.$/)).toBeVisible();
  await ana.page.getByRole("button", { name: "Back" }).click();
  await expect(ana.page.getByText("✓ Verified")).toBeVisible();
  await chatLink(ana.page, "Ben").click();

  // A second device of Ben joins the chat's group, which changes his keys.
  const laptop = await newDevice(ben);
  await chatLink(laptop, "Ana").click();
  await sendText(laptop, "From my laptop");
  await expect(messageWith(ana.page, "From my laptop")).toBeVisible();
  const notice = messageLog(ana.page).getByRole("button", {
    name: /security code changed/,
  });
  await expect(notice).toBeVisible();
  await notice.click();
  await expect(ana.page).toHaveURL(/\/chat\/[^/]+\/verify$/);
  await expect(ana.page.getByText(/is not verified\./)).toBeVisible();
  await expect(securityCode(ana.page)).not.toHaveText(anaDigits ?? "");
});
