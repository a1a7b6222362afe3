import type { Page } from "@playwright/test";
import {
  chatHeader,
  chatLink,
  composer,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  strangerName,
  test,
} from "./helpers.ts";

/** Adds the owner of `phone` on a screen with "Phone number" and "Add". */
async function addByPhone(page: Page, phone: string): Promise<void> {
  await page.getByRole("textbox", { name: "Phone number" }).fill(phone);
  await page.getByRole("button", { name: "Add", exact: true }).click();
}

async function openGroupInfo(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Chat info" }).click();
  await expect(page.getByRole("list", { name: "Members" })).toBeVisible();
}

test("group membership changes reach every member", async ({ newPerson }) => {
  test.setTimeout(150_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  const dan = await newPerson("Dan");

  // Ana creates the group with Ben and Cleo.
  await ana.page.getByRole("button", { name: "New group" }).click();
  await ana.page.getByRole("textbox", { name: "Group name" }).fill("Trip");
  await addByPhone(ana.page, ben.phone);
  await expect(
    ana.page.getByRole("button", { name: "Remove Ben" }),
  ).toBeVisible();
  await addByPhone(ana.page, cleo.phone);
  await expect(
    ana.page.getByRole("button", { name: "Remove Cleo" }),
  ).toBeVisible();
  await ana.page.getByRole("button", { name: "Create group" }).click();
  await expect(composer(ana.page)).toBeVisible();
  await expect(messageLog(ana.page)).toContainText("You created group");

  await openChat(ben.page, "Trip");
  await expect(messageLog(ben.page)).toContainText("Ana created group");
  await openChat(cleo.page, "Trip");

  await sendText(ana.page, "Welcome to the trip");
  const welcome = messageWith(ben.page, "Welcome to the trip");
  await expect(welcome).toBeVisible();
  await expect(welcome).toContainText("Ana");
  await expect(messageWith(cleo.page, "Welcome to the trip")).toBeVisible();

  // Ana, the admin, adds Dan.
  await openGroupInfo(ana.page);
  await expect(
    ana.page
      .getByRole("list", { name: "Members" })
      .getByRole("listitem")
      .filter({ hasText: "You" }),
  ).toContainText("Admin");
  await ana.page.getByRole("button", { name: "Add members" }).click();
  await addByPhone(ana.page, dan.phone);
  await expect(
    ana.page.getByRole("list", { name: "Members" }).getByRole("listitem"),
  ).toHaveCount(4);
  // Nobody saved anyone, so names show as numbers with "~name".
  await expect(messageLog(ben.page)).toContainText(
    `${strangerName(ana)} added ${strangerName(dan)}`,
  );
  await openChat(dan.page, "Trip");
  await expect(composer(dan.page)).toBeVisible();

  // Ana removes Cleo, who keeps the chat read-only.
  await ana.page
    .getByRole("button", { name: `Member actions for ${strangerName(cleo)}` })
    .click();
  await ana.page.getByRole("menuitem", { name: "Remove from group" }).click();
  await expect(
    ana.page.getByRole("list", { name: "Members" }).getByRole("listitem"),
  ).toHaveCount(3);
  await expect(
    cleo.page.getByText("You are no longer a member of this group."),
  ).toBeVisible();
  await expect(composer(cleo.page)).toHaveCount(0);
  await expect(messageLog(ben.page)).toContainText(
    `${strangerName(ana)} removed ${strangerName(cleo)}`,
  );

  // Ben leaves.
  await openGroupInfo(ben.page);
  await ben.page.getByRole("button", { name: "Leave group" }).click();
  await ben.page
    .getByRole("dialog")
    .getByRole("button", { name: "Leave", exact: true })
    .click();
  await openChat(ben.page, "Trip");
  await expect(
    ben.page.getByText("You are no longer a member of this group."),
  ).toBeVisible();
  await expect(messageLog(dan.page)).toContainText("Ben left");

  // Ana renames the group; the new name shows for the members.
  await ana.page.getByRole("button", { name: "Rename group" }).click();
  await ana.page.getByRole("textbox", { name: "Group name" }).fill("Trip 2027");
  await ana.page.getByRole("button", { name: "Save" }).click();
  await expect(
    ana.page.getByRole("heading", { name: "Trip 2027" }),
  ).toBeVisible();
  await expect(chatHeader(dan.page)).toContainText("Trip 2027");
  await expect(chatLink(dan.page, "Trip 2027")).toBeVisible();

  // Messages after the changes reach the members still in, and no one else.
  await sendText(dan.page, "Thanks for adding me");
  await openChat(ana.page, "Trip 2027");
  await expect(messageWith(ana.page, "Thanks for adding me")).toBeVisible();
  await expect(messageWith(ben.page, "Welcome to the trip")).toBeVisible();
  await expect(messageWith(ben.page, "Thanks for adding me")).toHaveCount(0);
  await expect(messageWith(cleo.page, "Thanks for adding me")).toHaveCount(0);
});
