import { chatList, expect, openDirectChat, sendText, test } from "./helpers.ts";

test("banner offers notifications once", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  // Headless Chromium denies notifications unless the context grants them.
  await ana.context.grantPermissions(["notifications"]);
  await ana.page.reload();
  const banner = ana.page.getByRole("region", { name: "Notifications" });
  await expect(ana.page.getByText("No chats yet")).toBeVisible();
  await expect(banner).toHaveCount(0);

  // The first chat brings the banner.
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Hi Ben");
  await ana.page.goto("/");
  await expect(
    banner.getByRole("button", { name: "Turn on notifications" }),
  ).toBeVisible();

  await banner.getByRole("button", { name: "Not now" }).click();
  await expect(banner).toHaveCount(0);

  // The choice is kept on this device. Settings reads the state first,
  // so the banner would show by the time the list is back.
  await ana.page.reload();
  await ana.page.getByRole("button", { name: "Settings" }).click();
  await expect(
    ana.page.getByText("Notifications are off for this device."),
  ).toBeVisible();
  await ana.page.goBack();
  await expect(chatList(ana.page)).toBeVisible();
  await expect(banner).toHaveCount(0);
});
