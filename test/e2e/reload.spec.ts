import {
  chatLink,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
} from "./helpers.ts";

test("reload keeps chats and messages", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Reply before reload");
  await expect(messageWith(ana.page, "Reply before reload")).toBeVisible();
  const chatUrl = ana.page.url();

  // A reload of the open chat shows it again, with both sides' messages.
  await ana.page.reload();
  expect(ana.page.url()).toBe(chatUrl);
  await expect(messageWith(ana.page, "Hi Ben")).toBeVisible();
  await expect(messageWith(ana.page, "Reply before reload")).toBeVisible();

  // A reload of the chat list keeps the chat, and it opens with its history.
  await ana.page.goto("/");
  await ana.page.reload();
  await expect(chatLink(ana.page, "Ben")).toBeVisible();
  await expect(chatLink(ana.page, "Ben")).toContainText("Reply before reload");
  await openChat(ana.page, "Ben");
  await expect(messageLog(ana.page).getByRole("article")).toHaveCount(2);

  // Messages keep arriving live after the reload.
  await sendText(ben.page, "After your reload");
  await expect(messageWith(ana.page, "After your reload")).toBeVisible();
});
