// Steps shared by the outbox and Background Sync specs: group changes made
// through the UI, and reading a chat's state.
import type { Page } from "@playwright/test";
import {
  composer,
  expect,
  messageLog,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  strangerName,
  type Person,
} from "./helpers.ts";

/** The tick labels of a message the server stored. */
export const SENT = /^(Sent|Delivered|Read)$/;

/** The error message the server returns to a sender not in the chat. */
export const NOT_MEMBER = "You are not a member of this chat.";

/** Returns the "Waiting for network" status line. */
export function networkStatus(page: Page) {
  return page.getByRole("status").filter({ hasText: "Waiting for network" });
}

/** Returns the texts of the message articles of the open chat, in order. */
export async function messageTexts(page: Page): Promise<string[]> {
  return messageLog(page).getByRole("article").allInnerTexts();
}

/** Creates the group `name` on `owner`'s page with `members` in it. */
export async function createGroup(
  owner: Person,
  name: string,
  members: Person[],
): Promise<void> {
  const page = owner.page;
  await page.getByRole("button", { name: "New group" }).click();
  await page.getByRole("textbox", { name: "Group name" }).fill(name);
  for (const member of members) {
    const phone = page.getByRole("textbox", { name: "Phone number" });
    await phone.fill(member.phone);
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(
      page.getByRole("button", { name: `Remove ${member.name}` }),
    ).toBeVisible();
  }
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(composer(page)).toBeVisible();
}

/** Adds the owner of `phone` to the open group, which has `count` now. */
export async function addMember(page: Page, phone: string, count: number) {
  await page.getByRole("button", { name: "Chat info" }).click();
  await page.getByRole("button", { name: "Add members" }).click();
  await page.getByRole("textbox", { name: "Phone number" }).fill(phone);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  const members = page.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(count + 1);
  await page.getByRole("button", { name: "Back" }).click();
  await expect(messageLog(page)).toBeVisible();
}

/**
 * Removes `member` from the open group on `admin`'s page. The admin has
 * not saved the member as a contact, so the member shows by number.
 */
export async function removeFromGroup(
  admin: Page,
  member: Person,
): Promise<void> {
  const actions = admin.getByRole("button", {
    name: `Member actions for ${strangerName(member)}`,
  });
  await admin.getByRole("button", { name: "Chat info" }).click();
  await actions.click();
  await admin.getByRole("menuitem", { name: "Remove from group" }).click();
  await expect(actions).toHaveCount(0);
}

/**
 * Signs up Ana and Ben with a direct chat and Ben's group "Trip" with Ana
 * in it, and leaves Ana's page on the group. Ben's first message in the
 * group makes its MLS group, so Ana's device can encrypt for it offline.
 */
export async function directAndGroup(
  newPerson: (name: string) => Promise<Person>,
): Promise<{ ana: Person; ben: Person }> {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Hi Ben");
  await createGroup(ben, "Trip", [ana]);
  await sendText(ben.page, "Welcome to the trip");
  await ana.page.goto("/");
  await openChat(ana.page, "Trip");
  await expect(messageWith(ana.page, "Welcome to the trip")).toBeVisible();
  return { ana, ben };
}

/**
 * Waits until the open chat on `page` shows exactly `texts` among the
 * messages that match "<word>, direct", in that order. The list may show a
 * page of messages before the page above it, so reading the order at the
 * first sight of the newest message could see a gap.
 */
export async function expectDirectMessages(
  page: Page,
  texts: string[],
): Promise<void> {
  await expect
    .poll(async () =>
      (await messageTexts(page))
        .map((text) => /\w+, direct/.exec(text)?.[0])
        .filter((text) => text !== undefined),
    )
    .toEqual(texts);
}
