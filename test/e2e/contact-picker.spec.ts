import type { BrowserContext, Page } from "@playwright/test";
import { expect, formattedPhone, test, uniquePhone } from "./helpers.ts";

// "Import from phone" reads the address book through the Contact Picker
// API (navigator.contacts.select), which Chrome on Android provides and
// headless Chromium lacks. These tests install a fake picker before the
// app loads, so the button shows and the import runs on what it returns.

/** One contact as the Contact Picker returns it. */
interface PickedContact {
  name?: string[];
  tel?: string[];
}

/** Arguments of one call of the fake picker's `select`. */
interface PickerCall {
  properties: string[];
  options: { multiple?: boolean };
}

/**
 * Installs a fake Contact Picker in every page of `context`: a
 * `ContactsManager` class and `navigator.contacts`, whose `select`
 * records its arguments in `window.pickerCalls` and resolves to `picked`.
 */
async function installPicker(
  context: BrowserContext,
  picked: PickedContact[],
): Promise<void> {
  await context.addInitScript((result: PickedContact[]) => {
    const calls: PickerCall[] = [];
    class ContactsManager {
      getProperties(): Promise<string[]> {
        return Promise.resolve(["name", "tel"]);
      }
      select(
        properties: string[],
        options: { multiple?: boolean } = {},
      ): Promise<PickedContact[]> {
        calls.push({ properties, options });
        return Promise.resolve(structuredClone(result));
      }
    }
    Object.defineProperty(window, "ContactsManager", {
      value: ContactsManager,
      configurable: true,
    });
    Object.defineProperty(navigator, "contacts", {
      value: new ContactsManager(),
      configurable: true,
    });
    Object.defineProperty(window, "pickerCalls", { value: calls });
  }, picked);
}

async function pickerCalls(page: Page): Promise<PickerCall[]> {
  return page.evaluate(
    () => (window as unknown as { pickerCalls: PickerCall[] }).pickerCalls,
  );
}

async function openContacts(page: Page): Promise<void> {
  await page.goto("/contacts");
  await expect(
    page.getByRole("heading", { name: "Contacts", level: 1 }),
  ).toBeVisible();
}

function contactRow(page: Page, name: string) {
  return page
    .getByRole("list", { name: "Contacts" })
    .getByRole("listitem")
    .filter({ hasText: name });
}

test("picker import saves picked contacts", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const stranger = uniquePhone();
  await installPicker(ana.context, [
    // A national number, read in the region of Ana's own number (DE).
    { name: ["Benny Picked"], tel: [`030 ${ben.phone.slice("+4930".length)}`] },
    { name: ["", "Nora Picked"], tel: [stranger, stranger] },
    { name: ["No Number"], tel: [] },
    { name: ["Bad Number"], tel: ["12"] },
  ]);
  await openContacts(ana.page);

  await ana.page.getByRole("button", { name: "Import from phone" }).click();
  const dialog = ana.page.getByRole("dialog", { name: "Import contacts" });
  await expect(dialog).toContainText("Found 2 contacts to import.");
  await expect(dialog).toContainText(
    "2 contacts without a usable phone number will be skipped.",
  );
  expect(await pickerCalls(ana.page)).toEqual([
    { properties: ["name", "tel"], options: { multiple: true } },
  ]);

  await dialog.getByRole("button", { name: "Import 2 contacts" }).click();
  await expect(dialog).toContainText("Imported 2 contacts.");
  const counts = dialog.getByRole("list", { name: "Import result" });
  await expect(counts).toContainText("1 on Messenger");
  await expect(counts).toContainText("1 to invite");
  await dialog.getByRole("button", { name: "Done" }).click();

  const benny = contactRow(ana.page, "Benny Picked");
  await expect(benny).toContainText(formattedPhone(ben.phone));
  await expect(
    benny.getByRole("button", { name: "Message Benny Picked" }),
  ).toBeVisible();
  const nora = contactRow(ana.page, "Nora Picked");
  await expect(nora).toContainText(formattedPhone(stranger));
  await expect(
    nora.getByRole("button", { name: "Invite Nora Picked" }),
  ).toBeVisible();
  await expect(contactRow(ana.page, "No Number")).toHaveCount(0);
  await expect(contactRow(ana.page, "Bad Number")).toHaveCount(0);

  // The server stored what the picker returned, not only this page.
  const reply = await ana.page.request.get("/api/contacts");
  const { contacts } = (await reply.json()) as {
    contacts: { phone: string; name: string; userId: string | null }[];
  };
  expect(contacts.map((c) => [c.name, c.phone])).toEqual([
    ["Benny Picked", ben.phone],
    ["Nora Picked", stranger],
  ]);
});

test("picker closed without a choice", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await installPicker(ana.context, []);
  await openContacts(ana.page);

  await ana.page.getByRole("button", { name: "Import from phone" }).click();
  await expect.poll(() => pickerCalls(ana.page)).toHaveLength(1);
  await expect(
    ana.page.getByRole("dialog", { name: "Import contacts" }),
  ).toHaveCount(0);
  await expect(ana.page.getByText("No contacts yet")).toBeVisible();
});

test("no picker, no picker button", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await openContacts(ana.page);
  await expect(
    ana.page.getByRole("button", { name: "Import vCard file" }),
  ).toBeVisible();
  await expect(
    ana.page.getByRole("button", { name: "Import from phone" }),
  ).toHaveCount(0);
});
