import type { Page } from "@playwright/test";
import { PRESENCE_TIMEOUT_MS } from "./global-setup.ts";
import {
  chatHeader,
  chatLink,
  composer,
  escapeRegExp,
  expect,
  messageLog,
  openDirectChat,
  sendText,
  strangerName,
  test,
} from "./helpers.ts";

/** Returns the subtitle under the title in the open chat's header. */
function subtitle(page: Page) {
  return chatHeader(page).locator(".chat__subtitle");
}

/**
 * A device that vanished without a close frame shows as gone within the
 * idle limit plus the sweep's one-second margin. The other 10 s are slack
 * for a busy machine.
 */
const VANISH_BOUND_MS = PRESENCE_TIMEOUT_MS + 1_000 + 10_000;

/** Picks `choice` for "Last seen and online", then returns to the chats. */
async function setLastSeen(page: Page, choice: string): Promise<void> {
  await page.goto("/settings");
  const select = page.getByRole("combobox", { name: "Last seen and online" });
  await select.selectOption({ label: choice });
  await expect(select).toHaveValue(
    choice === "My contacts" ? "contacts" : choice.toLowerCase(),
  );
  await expect(page.getByText("Saved.")).toBeVisible();
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByRole("heading", { name: "Chats" })).toBeVisible();
}

test("direct chat shows online, typing and last seen", async ({
  newPerson,
}) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await ben.page.close();

  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Are you there?");
  await expect(subtitle(ana.page)).toHaveText(/^last seen today at /);

  // Ben comes online.
  const benPage = await ben.context.newPage();
  await benPage.goto("/");
  await expect(subtitle(ana.page)).toHaveText("online");

  // Ben types, clears the box, types and sends.
  await chatLink(benPage, "Ana").click();
  await expect(messageLog(benPage)).toBeVisible();
  await composer(benPage).pressSequentially("Yes I");
  await expect(subtitle(ana.page)).toHaveText("typing…");
  await expect(chatLink(ana.page, "Ben")).toContainText("typing…");
  await composer(benPage).fill("");
  await expect(subtitle(ana.page)).toHaveText("online");
  await composer(benPage).pressSequentially("Here");
  await expect(subtitle(ana.page)).toHaveText("typing…");
  await benPage.getByRole("button", { name: "Send", exact: true }).click();
  await expect(subtitle(ana.page)).toHaveText("online");
  await expect(chatLink(ana.page, "Ben")).toContainText("Here");

  // Ben closes the page: Ana sees when he left.
  await benPage.close();
  await expect(subtitle(ana.page)).toHaveText(/^last seen today at \d/);
});

test("typing stops after five idle seconds", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await openDirectChat(ben.page, ana.phone);
  await expect(subtitle(ana.page)).toHaveText("online");
  await composer(ben.page).pressSequentially("Thinking");
  await expect(subtitle(ana.page)).toHaveText("typing…");
  await expect(subtitle(ana.page)).toHaveText("online", { timeout: 9_000 });
});

test("a silent socket turns into last seen", async ({ newPerson }) => {
  test.setTimeout(120_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await expect(subtitle(ana.page)).toHaveText("online");

  // Ben's page stops sending anything, pings and close frames included,
  // and cannot reconnect, while its socket stays open: what the server
  // sees of a laptop that went to sleep or lost its network. The server
  // has to notice the silence itself. (Freezing the page through CDP was
  // tried first, but Chromium keeps running timers of a visible page.)
  await ben.page.evaluate(() => {
    WebSocket.prototype.send = () => undefined;
    WebSocket.prototype.close = () => undefined;
    window.WebSocket = function () {
      throw new Error("network gone");
    } as unknown as typeof WebSocket;
  });
  await expect(subtitle(ana.page)).toHaveText(/^last seen today at /, {
    timeout: VANISH_BOUND_MS,
  });
});

test("group shows two people typing", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  await ana.page.getByRole("button", { name: "New group" }).click();
  await ana.page.getByRole("textbox", { name: "Group name" }).fill("Trip");
  for (const person of [ben, cleo]) {
    await ana.page
      .getByRole("textbox", { name: "Phone number" })
      .fill(person.phone);
    await ana.page.getByRole("button", { name: "Add", exact: true }).click();
    await expect(
      ana.page.getByRole("button", { name: `Remove ${person.name}` }),
    ).toBeVisible();
  }
  await ana.page.getByRole("button", { name: "Create group" }).click();
  await expect(composer(ana.page)).toBeVisible();

  for (const person of [ben, cleo]) {
    await chatLink(person.page, "Trip").click();
    await expect(composer(person.page)).toBeVisible();
  }
  await composer(ben.page).pressSequentially("Hi");
  // Ana has not saved them, so they show as numbers with "~name".
  const benName = strangerName(ben);
  const cleoName = strangerName(cleo);
  await expect(subtitle(ana.page)).toHaveText(`${benName} is typing…`);
  await composer(cleo.page).pressSequentially("Hey");
  await expect(subtitle(ana.page)).toHaveText(
    new RegExp(
      `^(${escapeRegExp(benName)} and ${escapeRegExp(cleoName)}|` +
        `${escapeRegExp(cleoName)} and ${escapeRegExp(benName)}) are typing…$`,
    ),
  );
  await expect(chatLink(ana.page, "Trip")).toContainText("are typing…");
});

test("last seen set to nobody hides it both ways", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await setLastSeen(ana.page, "Nobody");

  await openDirectChat(ben.page, ana.phone);
  await sendText(ben.page, "Hi Ana");
  await openDirectChat(ana.page, ben.phone);
  // Both are online, yet neither sees it: the subtitle stays the number.
  await expect(subtitle(ben.page)).toHaveText(/^\+/);
  await expect(subtitle(ana.page)).toHaveText(/^\+/);
  await expect(subtitle(ben.page)).not.toHaveText("online");

  await setLastSeen(ana.page, "Everyone");
  await expect(subtitle(ben.page)).toHaveText("online");
});

test("blocking hides presence and stops messages", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ben.page, ana.phone);
  await sendText(ben.page, "Hello");
  await openDirectChat(ana.page, ben.phone);
  await expect(subtitle(ben.page)).toHaveText("online");

  await ana.page.getByRole("button", { name: "Chat info" }).click();
  await ana.page.getByRole("button", { name: "Add to contacts" }).click();
  await ana.page.getByRole("textbox", { name: "Contact name" }).fill("Benny");
  await ana.page.getByRole("button", { name: "Save contact" }).click();
  await expect(ana.page.getByRole("heading", { name: "Benny" })).toBeVisible();
  await ana.page.getByRole("button", { name: "Block", exact: true }).click();
  await ana.page
    .getByRole("dialog", { name: "Block Benny?" })
    .getByRole("button", { name: "Block" })
    .click();
  await expect(ana.page.getByRole("button", { name: "Unblock" })).toBeVisible();

  await expect(subtitle(ben.page)).toHaveText(/^\+/);
  await composer(ben.page).fill("Are you there?");
  await ben.page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(
    ben.page.getByText("You can't message this person."),
  ).toBeVisible();

  await ana.page.goto("/settings");
  const blocked = ana.page.getByRole("list", { name: "Blocked contacts" });
  await expect(blocked).toContainText("Benny");
  await blocked.getByRole("button", { name: "Unblock" }).click();
  await expect(
    ana.page.getByText("You have not blocked anyone."),
  ).toBeVisible();
  await expect(subtitle(ben.page)).toHaveText("online");
});
