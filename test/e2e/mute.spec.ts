import type { Page } from "@playwright/test";
import {
  chatLink,
  chatList,
  directPair,
  escapeRegExp,
  expect,
  test,
} from "./helpers.ts";

/** Opens the actions menu of the chat titled `title` and picks `item`. */
async function chooseChatAction(
  page: Page,
  title: string,
  item: string,
): Promise<void> {
  await chatLink(page, title).hover();
  const name = new RegExp(`^Chat actions for .*${escapeRegExp(title)}$`);
  await chatList(page).getByRole("button", { name }).click();
  await page.getByRole("menuitem", { name: item, exact: true }).click();
}

test("mute for 8 hours and unmute", async ({ newPerson }) => {
  const { ben } = await directPair(newPerson);
  await ben.page.goto("/");
  const muted = chatLink(ben.page, "Ana").getByRole("img", { name: "Muted" });
  await expect(chatLink(ben.page, "Ana")).toBeVisible();
  await expect(muted).toHaveCount(0);

  await chooseChatAction(ben.page, "Ana", "Mute notifications");
  const choices = ben.page.getByRole("menu", {
    name: /^Mute notifications for /,
  });
  await expect(choices.getByRole("menuitem")).toHaveText([
    "8 hours",
    "1 week",
    "Always",
  ]);
  await choices.getByRole("menuitem", { name: "8 hours" }).click();
  await expect(muted).toBeVisible();

  // The muted state is stored on the server, so it survives a reload.
  await ben.page.reload();
  await expect(muted).toBeVisible();

  await chooseChatAction(ben.page, "Ana", "Unmute notifications");
  await expect(muted).toHaveCount(0);
});
