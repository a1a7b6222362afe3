import type { Page } from "@playwright/test";
import {
  composer,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";
import {
  directAndGroup,
  expectDirectMessages,
  networkStatus,
  NOT_MEMBER,
  removeFromGroup,
  SENT,
} from "./steps.ts";

test("rejected send does not block the queue", async ({ newPerson }) => {
  test.setTimeout(120_000);
  const { ana, ben } = await directAndGroup(newPerson);
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
  await removeFromGroup(ben.page, ana);

  await ana.context.setOffline(false);
  for (const text of ["First, direct", "Third, direct"]) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", SENT);
  }
  await ben.page.goto("/");
  await openChat(ben.page, "Ana");
  await expectDirectMessages(ben.page, ["First, direct", "Third, direct"]);

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

test("failed message can be edited and sent again", async ({ newPerson }) => {
  test.setTimeout(120_000);
  const { ana, ben } = await directAndGroup(newPerson);

  // Ana writes offline while Ben removes her, so the server rejects it.
  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await sendText(ana.page, "Lunch at noon?");
  await removeFromGroup(ben.page, ana);
  await ana.context.setOffline(false);
  const rejected = messageWith(ana.page, "Lunch at noon?");
  await expect(tickOf(rejected)).toHaveAttribute("aria-label", "Failed");
  await expect(composer(ana.page)).toHaveCount(0);

  // Ben adds her back; she corrects the message and sends it again.
  await ben.page.getByRole("button", { name: "Add members" }).click();
  await ben.page.getByRole("textbox", { name: "Phone number" }).fill(ana.phone);
  await ben.page.getByRole("button", { name: "Add", exact: true }).click();
  const box = composer(ana.page);
  await expect(box).toBeVisible();
  await rejected.getByRole("button", { name: "Edit" }).click();
  await expect(box).toHaveValue("Lunch at noon?");
  await box.fill("Lunch at one?");
  await box.press("Enter");

  const revised = messageWith(ana.page, "Lunch at one?");
  await expect(tickOf(revised)).toHaveAttribute("aria-label", SENT);
  await expect(messageWith(ana.page, "Lunch at noon?")).toHaveCount(0);
  await ben.page.goto("/");
  await openChat(ben.page, "Trip");
  await expect(messageWith(ben.page, "Lunch at one?")).toHaveCount(1);
  await expect(messageWith(ben.page, "Lunch at noon?")).toHaveCount(0);
});

/**
 * Holds a readwrite transaction on the app's `messages` store for `ms`,
 * as a burst of sync writes after a reload does, so that a send's own
 * transaction waits behind it.
 */
async function holdMessagesStore(page: Page, ms: number): Promise<void> {
  await page.evaluate(
    (holdMs) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open("messenger");
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const store = open.result
            .transaction("messages", "readwrite")
            .objectStore("messages");
          const until = Date.now() + holdMs;
          const keepBusy = () => {
            if (Date.now() < until) store.count().onsuccess = keepBusy;
          };
          keepBusy();
          resolve();
        };
      }),
    ms,
  );
}

test("send survives reload before it is stored", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);

  // The composer empties at once, while the send still waits to be
  // stored. Reloading then must not lose it.
  await holdMessagesStore(ana.page, 5_000);
  await sendText(ana.page, "Sent just before a reload");
  await ana.page.reload();

  await openChat(ana.page, "Ben");
  const sent = messageWith(ana.page, "Sent just before a reload");
  await expect(sent).toHaveCount(1);
  await expect(tickOf(sent)).toHaveAttribute("aria-label", SENT);
  await expect(messageWith(ben.page, "Sent just before a reload")).toHaveCount(
    1,
  );
});
