// Notifications while the app is open but not in use: the server sends no
// push to a device with a live socket, so the page has its service
// worker show the notification a push would show.
import { createTestSubscription } from "../push-receiver.ts";
import {
  chatLink,
  chatList,
  chooseAction,
  directPair,
  expect,
  formattedPhone,
  messageWith,
  openChat,
  sendText,
  test,
} from "./helpers.ts";
import {
  appWorker,
  closeNotifications,
  fakePushManager,
  openChatIds,
  shownNotifications,
} from "./push-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";

test("a background app notifies", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const { chatId } = await openChatIds(ben.page);
  const subscription = await createTestSubscription(
    `https://push.invalid/${crypto.randomUUID()}`,
  );
  await fakePushManager(ben.context, subscription);
  await ben.context.grantPermissions(["notifications"]);
  await waitForServiceWorker(ben.page);

  await ben.page.goto("/settings");
  const toggle = ben.page.getByRole("switch", {
    name: "Notifications on this device",
  });
  await toggle.click();
  await expect(toggle).toBeChecked();
  await ben.page.goto("/");
  const worker = await appWorker(ben.page);

  await test.step("a page without focus notifies", async () => {
    // Headless Chromium reports every page as focused.
    await ben.page.evaluate(() => {
      document.hasFocus = () => false;
    });
    await sendText(ana.page, "Are you at home?");
    await expect
      .poll(() => shownNotifications(worker))
      .toEqual([
        {
          title: `${formattedPhone(ana.phone)} ~Ana`,
          body: "Are you at home?",
          tag: `chat:${chatId}`,
        },
      ]);
    const pushes = await ben.page.request.get(
      `/api/dev/push?endpoint=${encodeURIComponent(subscription.json.endpoint)}`,
    );
    const listed = (await pushes.json()) as { pushes: unknown[] };
    expect(listed.pushes, "no push to a device with a socket").toEqual([]);
  });

  await test.step("delete for everyone closes it", async () => {
    await chooseAction(
      ana.page,
      messageWith(ana.page, "Are you at home?"),
      "Delete for everyone",
    );
    await expect.poll(() => shownNotifications(worker)).toEqual([]);
    await sendText(ana.page, "Sorry, wrong chat");
    await expect.poll(() => shownNotifications(worker)).toHaveLength(1);
  });

  await test.step("opening the chat closes it", async () => {
    await ben.page.evaluate(() => {
      document.hasFocus = () => true;
    });
    await openChat(ben.page, "Ana");
    await expect.poll(() => shownNotifications(worker)).toEqual([]);
  });

  await test.step("a page in use does not notify", async () => {
    await ben.page.goto("/");
    await closeNotifications(worker);
    await sendText(ana.page, "Never mind");
    await expect(ben.page.getByText("Never mind")).toBeVisible();
    // The notification would be shown within milliseconds of the row.
    await ben.page.waitForTimeout(1000);
    expect(await shownNotifications(worker)).toEqual([]);
  });

  await test.step("a muted chat does not notify", async () => {
    await ben.page.evaluate(() => {
      document.hasFocus = () => false;
    });
    await chatLink(ben.page, "Ana").hover();
    await chatList(ben.page)
      .getByRole("button", { name: /^Chat actions for .*Ana$/ })
      .click();
    await ben.page
      .getByRole("menuitem", { name: "Mute notifications", exact: true })
      .click();
    await ben.page.getByRole("menuitem", { name: "Always" }).click();
    await expect(
      chatLink(ben.page, "Ana").getByRole("img", { name: "Muted" }),
    ).toBeVisible();
    await sendText(ana.page, "Still there?");
    await expect(ben.page.getByText("Still there?")).toBeVisible();
    await ben.page.waitForTimeout(1000);
    expect(await shownNotifications(worker)).toEqual([]);
  });
});
