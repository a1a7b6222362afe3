// End-to-end encryption under the conditions people meet. A network drops
// before the chat's MLS group exists, two devices of one person both try
// to create that group at once, and a device is linked later. A member is
// removed, also while a send of theirs waits in the outbox.
import {
  chatLink,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  strangerName,
  test,
  tickOf,
} from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";
import { createGroup, messageTexts, networkStatus, SENT } from "./steps.ts";

const WAITING = "Waiting for this message";

test("offline sends create the group once online", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await waitForServiceWorker(ana.page);
  // The chat exists on the server, but its group is created by the first
  // send, which happens offline.
  await openDirectChat(ana.page, ben.phone);

  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  const texts = ["First offline", "Second offline", "Third offline"];
  for (const text of texts) await sendText(ana.page, text);
  await ana.page.reload();
  for (const text of texts) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", "Pending");
  }

  await ana.context.setOffline(false);
  for (const text of texts) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", SENT);
  }
  await openChat(ben.page, "Ana");
  for (const text of texts) {
    await expect(messageWith(ben.page, text)).toHaveCount(1);
  }
  await expect(messageLog(ben.page)).not.toContainText(WAITING);
  await expect(messageLog(ben.page)).not.toContainText("mls1:");
  const benTexts = await messageTexts(ben.page);
  expect(benTexts, "messages on Ben's screen").toHaveLength(3);
  for (const [index, text] of texts.entries()) {
    expect(benTexts[index], `message ${index + 1} in order`).toContain(text);
  }
});

test("two devices send first at once", async ({ newPerson, newDevice }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const tablet = await newDevice(ana);
  await openDirectChat(ana.page, ben.phone);
  await openDirectChat(tablet, ben.phone);

  // Both devices find the group at epoch 0 and race to create it.
  await Promise.all([
    sendText(ana.page, "From the phone"),
    sendText(tablet, "From the tablet"),
  ]);

  for (const page of [ana.page, tablet]) {
    for (const text of ["From the phone", "From the tablet"]) {
      await expect(messageWith(page, text)).toHaveCount(1);
    }
  }
  const phoneTick = tickOf(messageWith(ana.page, "From the phone"));
  await expect(phoneTick).toHaveAttribute("aria-label", SENT);
  const tabletTick = tickOf(messageWith(tablet, "From the tablet"));
  await expect(tabletTick).toHaveAttribute("aria-label", SENT);
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "From the phone")).toHaveCount(1);
  await expect(messageWith(ben.page, "From the tablet")).toHaveCount(1);
  await expect(messageLog(ben.page)).not.toContainText(WAITING);
  await expect(messageLog(ana.page)).not.toContainText(WAITING);
  await expect(messageLog(tablet)).not.toContainText(WAITING);
});

test("device added later reads new messages", async ({
  newPerson,
  newDevice,
}) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Before the laptop");
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "Before the laptop")).toBeVisible();

  // The laptop only receives. Ana's device adds it all the same, which
  // shows as Ben's security code changing on her screen.
  const laptop = await newDevice(ben);
  await openChat(laptop, "Ana");
  const keyChange = ana.page.getByText("security code changed");
  await expect(keyChange).toHaveCount(1);
  await sendText(ana.page, "After the laptop");
  await expect(messageWith(laptop, "After the laptop")).toBeVisible();
  const early = messageWith(laptop, "before this device was added");
  await expect(early).toHaveCount(1);
  await expect(messageLog(laptop)).not.toContainText("mls1:");
  await expect(messageLog(laptop)).not.toContainText(WAITING);
  await sendText(laptop, "Hello from the laptop");
  await expect(messageWith(ana.page, "Hello from the laptop")).toBeVisible();
});

test("removed member reads nothing after", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  await createGroup(ana, "Trip", [ben, cleo]);
  await openChat(ben.page, "Trip");
  await openChat(cleo.page, "Trip");
  await sendText(ana.page, "Before Cleo left");
  await expect(messageWith(cleo.page, "Before Cleo left")).toBeVisible();

  await ana.page.getByRole("button", { name: "Chat info" }).click();
  await ana.page
    .getByRole("button", { name: `Member actions for ${strangerName(cleo)}` })
    .click();
  await ana.page.getByRole("menuitem", { name: "Remove from group" }).click();
  const members = ana.page.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(2);
  await ana.page.getByRole("button", { name: "Back" }).click();
  await sendText(ana.page, "After Cleo left");

  await expect(messageWith(ben.page, "After Cleo left")).toBeVisible();
  const notice = cleo.page.getByText("You are no longer a member");
  await expect(notice).toBeVisible();
  await cleo.page.reload();
  await openChat(cleo.page, "Trip");
  await expect(messageWith(cleo.page, "Before Cleo left")).toHaveCount(1);
  await expect(messageLog(cleo.page)).not.toContainText("After Cleo left");
  await expect(messageLog(cleo.page)).not.toContainText(WAITING);
  await expect(messageLog(cleo.page)).not.toContainText("mls1:");
});

test("send after removal fails, queue goes on", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const cleo = await newPerson("Cleo");
  await openDirectChat(cleo.page, ana.phone);
  await sendText(cleo.page, "Hi Ana");
  await createGroup(ana, "Trip", [cleo]);
  await waitForServiceWorker(cleo.page);
  await openChat(cleo.page, "Trip");
  await expect(messageWith(cleo.page, "added")).not.toHaveCount(0);

  // Cleo writes to the group and then to Ana while offline, and Ana
  // removes her from the group before she is back.
  await cleo.context.setOffline(true);
  await expect(networkStatus(cleo.page)).toBeVisible();
  await sendText(cleo.page, "Count me in");
  await openChat(cleo.page, "Ana");
  await sendText(cleo.page, "Still there?");
  await openChat(ana.page, "Trip");
  await ana.page.getByRole("button", { name: "Chat info" }).click();
  await ana.page
    .getByRole("button", { name: `Member actions for ${strangerName(cleo)}` })
    .click();
  await ana.page.getByRole("menuitem", { name: "Remove from group" }).click();
  const members = ana.page.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(1);
  await ana.page.getByRole("button", { name: "Back" }).click();

  await cleo.context.setOffline(false);
  const direct = tickOf(messageWith(cleo.page, "Still there?"));
  await expect(direct).toHaveAttribute("aria-label", SENT);
  await openChat(ana.page, strangerName(cleo));
  await expect(messageWith(ana.page, "Still there?")).toBeVisible();
  await openChat(cleo.page, "Trip");
  const rejected = tickOf(messageWith(cleo.page, "Count me in"));
  await expect(rejected).toHaveAttribute("aria-label", "Failed");
});

test("device with cleared storage recovers", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Before the wipe");
  await expect(messageWith(ana.page, "Before the wipe")).toBeVisible();

  // Ben's browser loses its IndexedDB, with the MLS state, but keeps the
  // session cookie, so it is still the same device.
  await ben.page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase("messenger");
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error ?? new Error("failed"));
      }),
  );
  await ben.page.reload();
  await expect(chatLink(ben.page, "Ana")).toBeVisible();
  await openChat(ben.page, "Ana");
  await expect(ana.page.getByText("security code changed")).toHaveCount(1);

  await sendText(ana.page, "After the wipe");
  await expect(messageWith(ben.page, "After the wipe")).toBeVisible();
  await expect(messageLog(ben.page)).not.toContainText("mls1:");
  await expect(messageLog(ben.page)).not.toContainText(WAITING);
  await sendText(ben.page, "Back again");
  await expect(messageWith(ana.page, "Back again")).toBeVisible();
});
