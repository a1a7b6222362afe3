// Steps shared by the outbox and Background Sync specs: group changes made
// through the UI, and reading a chat's state.
import type { Page } from "@playwright/test";
import { composer, expect, messageLog, type Person } from "./helpers.ts";

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

/** Removes `member` from the open group on `admin`'s page. */
export async function removeFromGroup(
  admin: Page,
  member: string,
): Promise<void> {
  const actions = admin.getByRole("button", {
    name: `Member actions for ${member}`,
  });
  await admin.getByRole("button", { name: "Chat info" }).click();
  await actions.click();
  await admin.getByRole("menuitem", { name: "Remove from group" }).click();
  await expect(actions).toHaveCount(0);
}
