import type { Page } from "@playwright/test";
import {
  chooseAction,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
} from "./helpers.ts";
import { storedIn } from "./storage.ts";

// Link and sync: a device that signs in next to another device of the
// same person gets the earlier messages from that device, end-to-end
// encrypted, instead of a notice in place of each of them.

const BEFORE_JOIN =
  "This message was sent before this device was added to the chat.";

/** Returns a text no other test sends, so a scan finds only this one. */
function unique(prefix: string): string {
  return `${prefix} ${crypto.randomUUID()}`;
}

function historyBanner(page: Page) {
  return page.getByRole("region", { name: "Chat history" }).getByRole("status");
}

/** Has Ana and Ben exchange texts, one of Ben's edited; returns them. */
async function chat(ana: Page, ben: Page): Promise<string[]> {
  const question = unique("Where do we meet");
  const typo = unique("At the statoin");
  const answer = typo.replace("statoin", "station");
  const thanks = unique("Thanks");
  await sendText(ana, question);
  await expect(messageWith(ben, question)).toBeVisible();
  await sendText(ben, typo);
  await expect(messageWith(ana, typo)).toBeVisible();
  await chooseAction(ben, messageWith(ben, typo), "Edit");
  await sendText(ben, answer);
  await expect(messageWith(ana, answer)).toContainText("edited");
  await sendText(ana, thanks);
  await expect(messageWith(ben, thanks)).toBeVisible();
  return [question, answer, thanks];
}

/** Checks that `page` shows the texts in the chat with Ben, not notices. */
async function expectHistory(page: Page, texts: string[]) {
  await openChat(page, "Ben");
  for (const text of texts) {
    await expect(messageWith(page, text)).toBeVisible();
  }
  await expect(messageWith(page, texts[1]!)).toContainText("edited");
  await expect(messageLog(page).getByText(BEFORE_JOIN)).toHaveCount(0);
}

test("new device gets the history", async ({ newPerson, newDevice }) => {
  test.setTimeout(150_000);
  const { ana, ben } = await directPair(newPerson);
  const texts = await chat(ana.page, ben.page);

  const tablet = await newDevice(ana);
  // The import waits for the new device's sync, 5 s between tries.
  await expect(historyBanner(tablet)).toHaveText(
    /^Chat history copied from .+\.$/,
    { timeout: 75_000 },
  );
  await expectHistory(tablet, texts);

  for (const text of texts) {
    expect(storedIn(text), `files with "${text}"`).toEqual([]);
  }
});

test("history arrives when the other device returns", async ({
  newPerson,
  newDevice,
}) => {
  test.setTimeout(150_000);
  const { ana, ben } = await directPair(newPerson);
  const texts = await chat(ana.page, ben.page);
  await ana.page.close();

  const tablet = await newDevice(ana);
  await expect(historyBanner(tablet)).toHaveText(
    "Getting your chat history from your other device. Keep it open and online.",
  );
  await expect(
    tablet.getByRole("button", { name: "Skip", exact: true }),
  ).toBeVisible();

  const phone = await ana.context.newPage();
  await phone.goto("/");
  // The import waits for the new device's sync, 5 s between tries.
  await expect(historyBanner(tablet)).toHaveText(
    /^Chat history copied from .+\.$/,
    { timeout: 75_000 },
  );
  await expectHistory(tablet, texts);
});

test("skipped history shows a notice", async ({ newPerson, newDevice }) => {
  const { ana, ben } = await directPair(newPerson);
  const texts = await chat(ana.page, ben.page);
  await ana.page.close();

  const tablet = await newDevice(ana);
  await tablet.getByRole("button", { name: "Skip", exact: true }).click();
  await expect(historyBanner(tablet)).toHaveText(
    "Messages from before this device was linked are not on this device.",
  );
  await openChat(tablet, "Ben");
  await expect(messageWith(tablet, BEFORE_JOIN).first()).toBeVisible();
  await expect(messageWith(tablet, texts[0]!)).toHaveCount(0);
});
