import {
  expect,
  messageLog,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";
import {
  createGroup,
  messageTexts,
  networkStatus,
  NOT_MEMBER,
  removeFromGroup,
  SENT,
} from "./steps.ts";

test("rejected send does not block the queue", async ({ newPerson }) => {
  test.setTimeout(120_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Hi Ben");
  await createGroup(ben, "Trip", [ana]);
  await ana.page.goto("/");
  await openChat(ana.page, "Trip");
  await waitForServiceWorker(ana.page);

  // Offline, Ana writes to Ben, to the group, and to Ben again.
  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await ana.page.goto("/");
  await openChat(ana.page, "Ben");
  await sendText(ana.page, "First, direct");
  await ana.page.goto("/");
  await openChat(ana.page, "Trip");
  await sendText(ana.page, "Second, to the group");
  await ana.page.goto("/");
  await openChat(ana.page, "Ben");
  await sendText(ana.page, "Third, direct");
  const first = tickOf(messageWith(ana.page, "First, direct"));
  await expect(first).toHaveAttribute("aria-label", "Pending");

  // Meanwhile Ben removes Ana from the group, which her offline device
  // cannot check before it sends.
  await removeFromGroup(ben.page, "Ana");

  await ana.context.setOffline(false);
  for (const text of ["First, direct", "Third, direct"]) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", SENT);
  }
  await ben.page.goto("/");
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "Third, direct")).toBeVisible();
  const direct = (await messageTexts(ben.page)).filter((text) =>
    text.includes(", direct"),
  );
  expect(direct).toHaveLength(2);
  expect(direct[0], "first direct message").toContain("First, direct");
  expect(direct[1], "second direct message").toContain("Third, direct");

  // The group message failed with the server's reason and can be retried
  // or deleted.
  await ana.page.goto("/");
  await openChat(ana.page, "Trip");
  const rejected = messageWith(ana.page, "Second, to the group");
  await expect(tickOf(rejected)).toHaveAttribute("aria-label", "Failed");
  await expect(rejected).toContainText(NOT_MEMBER);
  await expect(rejected.getByRole("button", { name: "Retry" })).toBeVisible();
  const remove = rejected.getByRole("button", { name: "Delete" });
  await expect(remove).toBeVisible();
  await ben.page.goto("/");
  await openChat(ben.page, "Trip");
  await expect(messageWith(ben.page, "Second, to the group")).toHaveCount(0);

  await remove.click();
  await expect(rejected).toHaveCount(0);
  await ana.page.reload();
  await expect(messageLog(ana.page)).toBeVisible();
  await expect(messageWith(ana.page, "Second, to the group")).toHaveCount(0);
});
