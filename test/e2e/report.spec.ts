import type { Request } from "@playwright/test";
import { createGroup } from "./steps.ts";
import {
  chatHeader,
  directPair,
  expect,
  messageWith,
  openChat,
  sendText,
  test,
} from "./helpers.ts";

interface SentReport {
  reason: string;
  messages: { senderId: string; text: string }[];
}

test("reporting a person sends evidence and blocks", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Win a prize, send your bank details");
  await expect(
    messageWith(ana.page, "Win a prize, send your bank details"),
  ).toBeVisible();

  await chatHeader(ana.page).getByRole("button", { name: "Chat info" }).click();
  await ana.page.getByRole("button", { name: /^Report / }).click();
  const dialog = ana.page.getByRole("dialog");
  await expect(
    dialog.getByRole("checkbox", { name: /Also block/ }),
  ).toBeChecked();
  await dialog.getByRole("radio", { name: "Abuse or harassment" }).check();
  const sent = ana.page.waitForRequest(
    (request: Request) =>
      request.method() === "POST" && request.url().endsWith("/report"),
  );
  await dialog.getByRole("button", { name: "Report", exact: true }).click();

  const body = (await sent).postDataJSON() as SentReport;
  expect(body.reason).toBe("abuse");
  expect(body.messages.map((message) => message.text)).toEqual([
    "Hi Ben",
    "Win a prize, send your bank details",
  ]);
  await expect(
    ana.page.getByText("Thanks, your report was sent."),
  ).toBeVisible();
  await expect(ana.page.getByText("You blocked this person.")).toBeVisible();
});

test("reporting a group can leave it", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await createGroup(ben, "Offers", [ana]);
  await sendText(ben.page, "Cheap watches here");
  await openChat(ana.page, "Offers");
  await expect(messageWith(ana.page, "Cheap watches here")).toBeVisible();

  await chatHeader(ana.page).getByRole("button", { name: "Chat info" }).click();
  await ana.page.getByRole("button", { name: "Report group" }).click();
  const dialog = ana.page.getByRole("dialog");
  await expect(
    dialog.getByRole("checkbox", { name: "Also leave the group" }),
  ).toBeChecked();
  const reported = ana.page.waitForResponse((response) =>
    response.url().endsWith("/report"),
  );
  await dialog.getByRole("button", { name: "Report", exact: true }).click();

  expect((await reported).status()).toBe(200);
  await expect(
    ana.page.getByText("You are no longer a member of this group."),
  ).toBeVisible();
});
