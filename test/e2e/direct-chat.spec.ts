import {
  chatHeader,
  chatLink,
  chatList,
  composer,
  expect,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
  tickOf,
  uniquePhone,
} from "./helpers.ts";

test("direct chat moves ticks from sent to read", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  // With no page open Ben has no connected device, so nothing is delivered.
  await ben.page.close();

  await openDirectChat(ana.page, ben.phone);
  await expect(chatHeader(ana.page)).toContainText("Ben");
  await sendText(ana.page, "Hello Ben");
  const hello = messageWith(ana.page, "Hello Ben");
  await expect(tickOf(hello)).toHaveAttribute("aria-label", "Sent");

  const benPage = await ben.context.newPage();
  await benPage.goto("/");
  await expect(chatLink(benPage, "Ana")).toBeVisible();
  await expect(
    chatLink(benPage, "Ana").getByLabel("1 unread messages"),
  ).toBeVisible();
  await expect(tickOf(hello)).toHaveAttribute("aria-label", "Delivered");

  await openChat(benPage, "Ana");
  await expect(messageWith(benPage, "Hello Ben")).toBeVisible();
  await expect(tickOf(hello)).toHaveAttribute("aria-label", "Read");

  await sendText(benPage, "Hi Ana, got it");
  await expect(messageWith(ana.page, "Hi Ana, got it")).toBeVisible();
  await sendText(ana.page, "Great");
  await expect(messageWith(benPage, "Great")).toBeVisible();
});

test("lookup of unknown number shows alert", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const stranger = uniquePhone();
  await ana.page.getByRole("button", { name: "New chat" }).click();
  await ana.page.getByRole("textbox", { name: "Phone number" }).fill(stranger);
  await ana.page.getByRole("button", { name: "Find" }).click();
  const alert = ana.page.getByRole("alert");
  await expect(alert).toContainText("No account uses");
  await expect(alert).toContainText(stranger.slice(-4));
  await expect(
    ana.page.getByRole("button", { name: "Message", exact: true }),
  ).toHaveCount(0);
});

test("opening a direct chat again reuses it", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "First visit");
  const firstUrl = ana.page.url();
  expect(firstUrl).toMatch(/\/chat\/dm_[0-9a-f]{32}$/);

  await ana.page.goto("/");
  await openDirectChat(ana.page, ben.phone);
  expect(ana.page.url()).toBe(firstUrl);
  await expect(messageWith(ana.page, "First visit")).toBeVisible();
  await expect(composer(ana.page)).toBeVisible();
  await expect(chatList(ana.page).getByRole("listitem")).toHaveCount(1);

  // Ben reaching Ana from his side lands in the same chat.
  await openDirectChat(ben.page, ana.phone);
  expect(ben.page.url()).toBe(firstUrl);
  await expect(messageWith(ben.page, "First visit")).toBeVisible();
});
