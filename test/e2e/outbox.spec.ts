import type { Page } from "@playwright/test";
import {
  directPair,
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
