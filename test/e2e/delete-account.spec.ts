import type { Page } from "@playwright/test";
import {
  chatHeader,
  chatLink,
  composer,
  expect,
  messageLog,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
} from "./helpers.ts";

const DELETED = "Deleted account";

/**
 * Counts the rows of the app's IndexedDB tables that hold account data,
 * by table, leaving out empty tables.
 */
async function storedRows(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open("messenger");
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const names = ["kv", "messages", "chats", "outbox", "profiles"];
          const database = open.result;
          const present = names.filter((name) =>
            database.objectStoreNames.contains(name),
          );
          const counts: Record<string, number> = {};
          if (present.length === 0) {
            resolve(counts);
            return;
          }
          const transaction = database.transaction(present, "readonly");
          for (const name of present) {
            transaction.objectStore(name).count().onsuccess = (event) => {
              const count = (event.target as IDBRequest<number>).result;
              if (count > 0) counts[name] = count;
            };
          }
          transaction.oncomplete = () => resolve(counts);
          transaction.onerror = () => reject(new Error("count failed"));
        };
      }),
  );
}

async function createGroup(page: Page, name: string, phone: string) {
  await page.getByRole("button", { name: "New group" }).click();
  await page.getByRole("textbox", { name: "Group name" }).fill(name);
  await page.getByRole("textbox", { name: "Phone number" }).fill(phone);
  await page.getByRole("button", { name: "Add", exact: true }).click();
  await expect(page.getByRole("button", { name: /^Remove / })).toBeVisible();
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(composer(page)).toBeVisible();
}

async function openDeleteDialog(page: Page) {
  await page.goto("/");
  await page.getByRole("button", { name: "Settings" }).click();
  await page.getByRole("button", { name: "Delete my account" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete my account?" });
  await expect(dialog).toBeVisible();
  return dialog;
}

test("deleting an account signs out and leaves a marker", async ({
  newPerson,
  newDevice,
}) => {
  test.setTimeout(180_000);
  const ann = await newPerson("Ann");
  const ben = await newPerson("Ben");

  // Ann and Ben chat one-to-one and in a group that Ben created.
  await openDirectChat(ann.page, ben.phone);
  await sendText(ann.page, "Hi Ben");
  await openChat(ben.page, "Ann");
  await sendText(ben.page, "Hi from Ben");
  await expect(messageWith(ann.page, "Hi from Ben")).toBeVisible();
  await createGroup(ben.page, "Trip", ann.phone);
  await sendText(ben.page, "Group hello from Ben");
  await openChat(ann.page, "Trip");
  await expect(messageWith(ann.page, "Group hello from Ben")).toBeVisible();
  // The laptop's history transfer ends before the deletion starts, so the
  // wipe is checked against a device that has the chats stored. The import
  // waits for the new device's sync, 5 s between tries.
  const laptop = await newDevice(ben);
  await expect(
    laptop.getByRole("region", { name: "Chat history" }).getByRole("status"),
  ).toContainText("Chat history copied", { timeout: 75_000 });
  await openChat(laptop, "Trip");
  await expect(messageWith(laptop, "Group hello from Ben")).toBeVisible();

  // Offline, the dialog shows that a connection is needed, and nothing
  // is erased.
  let dialog = await openDeleteDialog(ben.page);
  const confirm = dialog.getByRole("button", { name: "Delete my account" });
  const number = dialog.getByRole("textbox", { name: /Type your phone/ });
  await number.fill("+49 30 0000");
  await expect(confirm).toBeDisabled();
  await number.fill(ben.phone);
  await ben.context.setOffline(true);
  await confirm.click();
  await expect(dialog.getByRole("alert")).toContainText("needs a connection");
  await ben.context.setOffline(false);
  await dialog.getByRole("button", { name: "Cancel" }).click();
  expect(await storedRows(ben.page)).toHaveProperty("messages");

  dialog = await openDeleteDialog(ben.page);
  await dialog
    .getByRole("textbox", { name: /Type your phone/ })
    .fill(ben.phone);
  await dialog.getByRole("button", { name: "Delete my account" }).click();

  // Ben's browser is back at the welcome screen with nothing stored.
  await expect(
    ben.page.getByRole("heading", { name: "Enter your phone number" }),
  ).toBeVisible();
  await expect.poll(() => storedRows(ben.page)).toEqual({});

  // Ben's other device is signed out with the reason.
  await expect(
    laptop.getByRole("heading", { name: "Account deleted" }),
  ).toBeVisible();
  await expect(laptop.getByText("This account was deleted")).toBeVisible();
  await expect.poll(() => storedRows(laptop)).toEqual({});

  // Ann sees the marker in the group, on Ben's old message and the list.
  await expect(messageLog(ann.page)).toContainText(`${DELETED} left`);
  await expect(messageWith(ann.page, "Group hello from Ben")).toContainText(
    DELETED,
  );
  await ann.page.getByRole("button", { name: "Chat info" }).click();
  const members = ann.page.getByRole("list", { name: "Members" });
  await expect(members.getByRole("listitem")).toHaveCount(1);
  await expect(members).not.toContainText("Ben");
  await ann.page.goto("/");
  await expect(chatLink(ann.page, DELETED)).toBeVisible();

  // The one-to-one chat keeps Ben's messages but takes no new ones.
  await openChat(ann.page, DELETED);
  await expect(chatHeader(ann.page)).toContainText(DELETED);
  await expect(messageWith(ann.page, "Hi from Ben")).toBeVisible();
  await expect(composer(ann.page)).toBeHidden();
  await expect(
    ann.page.getByText("This account was deleted. You can't send messages"),
  ).toBeVisible();
});
