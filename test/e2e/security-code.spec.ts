import { expect, openDirectChat, sendText, test } from "./helpers.ts";

// The security code screen of a one-to-one chat. Until this device has the
// chat's MLS group, the screen shows no number and explains when encryption
// is set up.

test("security code waits for encryption", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "hello");

  await ana.page.getByRole("button", { name: "Chat info" }).click();
  const entry = ana.page.getByRole("button", { name: "Verify security code" });
  await entry.click();

  await expect(ana.page).toHaveURL(/\/chat\/[^/]+\/verify$/);
  await expect(
    ana.page.getByRole("heading", { name: "Verify security code" }),
  ).toBeVisible();
  await expect(
    ana.page.getByText(/set up with the first message/),
  ).toBeVisible();
  await expect(
    ana.page.getByRole("group", { name: "Security code" }),
  ).toHaveCount(0);
  await expect(
    ana.page.getByRole("button", { name: "Mark as verified" }),
  ).toHaveCount(0);

  await ana.page.getByRole("button", { name: "Back" }).click();
  await expect(entry).toBeVisible();
});
