import type { Page } from "@playwright/test";
import {
  chatHeader,
  chatLink,
  composer,
  expect,
  formattedPhone,
  messageWith,
  openChat,
  openDirectChat,
  sendText,
  test,
  uniquePhone,
} from "./helpers.ts";

// Contacts: saved names replace people's own names everywhere, unknown
// senders show as their number, and the list follows the person across
// devices.

/** Returns the Contacts screen's heading. */
function contactsHeading(page: Page) {
  return page.getByRole("heading", { name: "Contacts", level: 1 });
}

/**
 * Opens the Contacts screen by its address. The page reloads once when
 * the service worker first takes control, which can swallow a click made
 * right after sign-up.
 */
async function openContacts(page: Page): Promise<void> {
  await page.goto("/contacts");
  await expect(contactsHeading(page)).toBeVisible();
}

/** Returns the row of the contact named `name` on the Contacts screen. */
function contactRow(page: Page, name: string) {
  return page
    .getByRole("list", { name: "Contacts" })
    .getByRole("listitem")
    .filter({ hasText: name });
}

/** Adds `phone` under `name` from the open Contacts screen. */
async function addContact(page: Page, phone: string, name: string) {
  await page.getByRole("button", { name: "Add contact" }).click();
  const dialog = page.getByRole("dialog", { name: "New contact" });
  await dialog.getByRole("textbox", { name: "Phone number" }).fill(phone);
  await dialog.getByRole("textbox", { name: "Contact name" }).fill(name);
  await dialog.getByRole("button", { name: "Save contact" }).click();
  await expect(dialog).toHaveCount(0);
}

test("saved name shows in list and header", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");

  await ana.page.getByRole("button", { name: "Contacts" }).click();
  await expect(contactsHeading(ana.page)).toBeVisible();
  await expect(ana.page.getByText("No contacts yet")).toBeVisible();
  await addContact(ana.page, ben.phone, "Benjamin Work");
  const row = contactRow(ana.page, "Benjamin Work");
  await row.getByRole("button", { name: "Message Benjamin Work" }).click();
  await expect(composer(ana.page)).toBeVisible();
  await expect(chatHeader(ana.page)).toContainText("Benjamin Work");
  await sendText(ana.page, "Hello from your contact");

  await ana.page.goto("/");
  await expect(chatLink(ana.page, "Benjamin Work")).toBeVisible();
  // Ben has not saved Ana, so he sees her number and her own name.
  const anaNumber = `${formattedPhone(ana.phone)} ~Ana`;
  await expect(chatLink(ben.page, anaNumber)).toBeVisible();
});

test("add form rejects an invalid number", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await openContacts(ana.page);
  await ana.page.getByRole("button", { name: "Add contact" }).click();
  const dialog = ana.page.getByRole("dialog", { name: "New contact" });
  await dialog.getByRole("textbox", { name: "Phone number" }).fill("12");
  await dialog.getByRole("textbox", { name: "Contact name" }).fill("Short");
  await dialog.getByRole("button", { name: "Save contact" }).click();
  await expect(dialog.getByRole("alert")).toContainText(
    "is not a valid phone number",
  );

  await dialog.getByRole("textbox", { name: "Phone number" }).fill("");
  await dialog.getByRole("button", { name: "Save contact" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Enter a phone number.");
});

test("unknown sender can be added from the banner", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ben.page, ana.phone);
  await sendText(ben.page, "Hi, it's Ben");

  const benNumber = formattedPhone(ben.phone);
  await openChat(ana.page, `${benNumber} ~Ben`);
  await expect(chatHeader(ana.page)).toContainText(`${benNumber} ~Ben`);
  const banner = ana.page.getByRole("region", { name: "Unknown number" });
  await expect(banner).toContainText("not in your contacts");

  await banner.getByRole("button", { name: "Add to contacts" }).click();
  const dialog = ana.page.getByRole("dialog", { name: "New contact" });
  const phone = dialog.getByRole("textbox", { name: "Phone number" });
  await expect(phone).toHaveValue(benNumber);
  await expect(phone).toBeDisabled();
  const name = dialog.getByRole("textbox", { name: "Contact name" });
  await expect(name).toHaveValue("Ben");
  await name.fill("Ben from work");
  await dialog.getByRole("button", { name: "Save contact" }).click();

  await expect(banner).toHaveCount(0);
  await expect(chatHeader(ana.page)).toContainText("Ben from work");
  await expect(chatHeader(ana.page)).not.toContainText("~Ben");
  await expect(chatLink(ana.page, "Ben from work")).toBeVisible();
});

/**
 * Uses up the person's daily number checks with numbers without an
 * account, so the next contact they save stays unchecked and unlinked.
 */
async function useUpChecks(page: Page): Promise<void> {
  for (let batch = 0; batch < 5; batch += 1) {
    const phones = Array.from({ length: 200 }, () => uniquePhone());
    const reply = await page.request.post("/api/contacts/discover", {
      data: { phones },
    });
    expect(reply.status(), "POST /api/contacts/discover status").toBe(200);
  }
}

test("banner links a number saved unchecked", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await useUpChecks(ana.page);
  await openContacts(ana.page);
  await addContact(ana.page, ben.phone, "Ben Saved");
  await expect(ana.page.getByRole("alert")).toContainText(
    "Ben Saved is not on Messenger yet.",
  );

  await openDirectChat(ben.page, ana.phone);
  await sendText(ben.page, "Hi, it's Ben");
  await ana.page.goto("/");
  await openChat(ana.page, `${formattedPhone(ben.phone)} ~Ben`);
  const banner = ana.page.getByRole("region", { name: "Unknown number" });
  await banner.getByRole("button", { name: "Add to contacts" }).click();
  const dialog = ana.page.getByRole("dialog", { name: "Edit contact" });
  await expect(
    dialog.getByRole("textbox", { name: "Contact name" }),
  ).toHaveValue("Ben Saved");
  await dialog.getByRole("button", { name: "Save contact" }).click();

  await expect(dialog).toHaveCount(0);
  await expect(banner).toHaveCount(0);
  await expect(chatHeader(ana.page)).toContainText("Ben Saved");
  await expect(chatHeader(ana.page)).not.toContainText("~Ben");
});

test("banner blocks an unknown sender", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ben.page, ana.phone);
  await sendText(ben.page, "Buy cheap watches");

  await openChat(ana.page, `${formattedPhone(ben.phone)} ~Ben`);
  const banner = ana.page.getByRole("region", { name: "Unknown number" });
  await banner.getByRole("button", { name: "Block" }).click();
  const confirm = ana.page.getByRole("dialog", { name: /^Block / });
  await expect(confirm).toContainText("can't message you");
  await confirm.getByRole("button", { name: "Block" }).click();
  await expect(banner).toContainText("You blocked this number.");
  await expect(banner.getByRole("button", { name: "Unblock" })).toBeVisible();

  await composer(ben.page).fill("Are you there?");
  await ben.page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(
    ben.page.getByText("You can't message this person."),
  ).toBeVisible();
  await expect(messageWith(ana.page, "Are you there?")).toHaveCount(0);
});

/** Returns a vCard 3.0 file with one card per contact, CRLF-separated. */
function vcardFile(cards: { name: string; phone?: string }[]): Buffer {
  const lines = cards.flatMap((card) => [
    "BEGIN:VCARD",
    "VERSION:3.0",
    `FN:${card.name}`,
    ...(card.phone === undefined ? [] : [`TEL;TYPE=CELL:${card.phone}`]),
    "END:VCARD",
  ]);
  return Buffer.from(lines.join("\r\n") + "\r\n", "utf8");
}

test("vCard import adds users and invites", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const stranger = uniquePhone();
  await openContacts(ana.page);

  await ana.page.getByLabel("vCard file").setInputFiles({
    name: "contacts.vcf",
    mimeType: "text/vcard",
    buffer: vcardFile([
      { name: "Benny Imported", phone: ben.phone },
      // A national number, read in the region of Ana's own number.
      { name: "Nora Nobody", phone: `030 ${stranger.slice("+4930".length)}` },
      { name: "No Number" },
    ]),
  });
  const dialog = ana.page.getByRole("dialog", { name: "Import contacts" });
  await expect(dialog).toContainText("Found 2 contacts to import.");
  await expect(dialog).toContainText(
    "1 contact without a usable phone number will be skipped.",
  );
  await dialog.getByRole("button", { name: "Import 2 contacts" }).click();
  await expect(dialog).toContainText("Imported 2 contacts.");
  const counts = dialog.getByRole("list", { name: "Import result" });
  await expect(counts).toContainText("1 on Messenger");
  await expect(counts).toContainText("1 to invite");
  await dialog.getByRole("button", { name: "Done" }).click();

  const benny = contactRow(ana.page, "Benny Imported");
  await expect(benny.getByRole("button", { name: /^Message/ })).toBeVisible();
  await expect(benny.getByRole("button", { name: /^Invite/ })).toHaveCount(0);
  const nora = contactRow(ana.page, "Nora Nobody");
  await expect(nora).toContainText(formattedPhone(stranger));
  await expect(nora.getByRole("button", { name: /^Message/ })).toHaveCount(0);

  await nora.getByRole("button", { name: "Invite Nora Nobody" }).click();
  await expect(ana.page.getByRole("alert")).toContainText(
    "Invitation copied. Paste it in a message to Nora Nobody.",
  );
  const copied = await ana.page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain(new URL("/", ana.page.url()).href);
});

test("second device sees contact changes", async ({ newPerson, newDevice }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const tablet = await newDevice(ana);
  await openContacts(tablet);
  await openContacts(ana.page);

  await addContact(ana.page, ben.phone, "Ben Phone");
  const onTablet = contactRow(tablet, "Ben Phone");
  await expect(
    onTablet.getByRole("button", { name: /^Message/ }),
  ).toBeVisible();

  const row = contactRow(ana.page, "Ben Phone");
  await row
    .getByRole("button", { name: "Contact actions for Ben Phone" })
    .click();
  await ana.page.getByRole("menuitem", { name: "Edit name" }).click();
  const dialog = ana.page.getByRole("dialog", { name: "Edit contact" });
  await dialog
    .getByRole("textbox", { name: "Contact name" })
    .fill("Ben Renamed");
  await dialog.getByRole("button", { name: "Save contact" }).click();
  await expect(contactRow(tablet, "Ben Renamed")).toBeVisible();
  await expect(contactRow(tablet, "Ben Phone")).toHaveCount(0);

  const renamed = contactRow(ana.page, "Ben Renamed");
  await renamed
    .getByRole("button", { name: "Contact actions for Ben Renamed" })
    .click();
  await ana.page.getByRole("menuitem", { name: "Delete contact" }).click();
  const confirm = ana.page.getByRole("dialog", { name: "Delete Ben Renamed?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(tablet.getByText("No contacts yet")).toBeVisible();
  await expect(ana.page.getByText("No contacts yet")).toBeVisible();
});

/** Returns the names of the Contacts screen's rows, sorted. */
async function shownNames(page: Page): Promise<string[]> {
  const names = await page
    .getByRole("list", { name: "Contacts" })
    .getByRole("listitem")
    .locator(".contact-row__name")
    .allTextContents();
  return names.sort();
}

/** Returns the names of the person's contacts on the server, sorted. */
async function serverNames(page: Page): Promise<string[]> {
  const reply = await page.request.get("/api/contacts");
  const { contacts } = (await reply.json()) as {
    contacts: { name: string }[];
  };
  return contacts.map((contact) => contact.name).sort();
}

test("rename and delete at once agree", async ({ newPerson, newDevice }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const tablet = await newDevice(ana);
  await openContacts(ana.page);
  await addContact(ana.page, ben.phone, "Ben Phone");
  await openContacts(tablet);
  await expect(contactRow(tablet, "Ben Phone")).toBeVisible();

  // Open both dialogs first.
  await contactRow(ana.page, "Ben Phone")
    .getByRole("button", { name: "Contact actions for Ben Phone" })
    .click();
  await ana.page.getByRole("menuitem", { name: "Edit name" }).click();
  const edit = ana.page.getByRole("dialog", { name: "Edit contact" });
  await edit.getByRole("textbox", { name: "Contact name" }).fill("Ben New");
  await contactRow(tablet, "Ben Phone")
    .getByRole("button", { name: "Contact actions for Ben Phone" })
    .click();
  await tablet.getByRole("menuitem", { name: "Delete contact" }).click();
  const confirm = tablet.getByRole("dialog", { name: "Delete Ben Phone?" });
  // The tablet's removal is held until Ana's save has left, so both are
  // in flight together and neither frame can close the other's dialog
  // before its button is pressed.
  let saveSent: () => void = () => undefined;
  const bothSent = new Promise<void>((resolve) => {
    saveSent = resolve;
  });
  await tablet.route("**/api/contacts/remove", async (route) => {
    await bothSent;
    await route.continue();
  });
  ana.page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === "POST" && path === "/api/contacts") saveSent();
  });
  const removed = tablet.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/contacts/remove",
  );
  const saved = ana.page.waitForResponse(
    (response) =>
      response.request().method() === "POST" &&
      new URL(response.url()).pathname === "/api/contacts",
  );
  await confirm.getByRole("button", { name: "Delete" }).click();
  await edit.getByRole("button", { name: "Save contact" }).click();
  expect((await saved).status()).toBe(200);
  expect([204, 404]).toContain((await removed).status());

  // Whichever change the server applied last, both devices show its list.
  const server = await serverNames(ana.page);
  await expect.poll(() => shownNames(ana.page)).toEqual(server);
  await expect.poll(() => shownNames(tablet)).toEqual(server);
});

test("contact requests keep numbers out of URLs", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const urls: string[] = [];
  ana.page.on("request", (request) => urls.push(request.url()));
  await openContacts(ana.page);
  await addContact(ana.page, ben.phone, "Ben Phone");

  const row = contactRow(ana.page, "Ben Phone");
  await row
    .getByRole("button", { name: "Contact actions for Ben Phone" })
    .click();
  await ana.page.getByRole("menuitem", { name: "Delete contact" }).click();
  const confirm = ana.page.getByRole("dialog", { name: "Delete Ben Phone?" });
  await confirm.getByRole("button", { name: "Delete" }).click();
  await expect(ana.page.getByText("No contacts yet")).toBeVisible();

  // Request logs (wrangler's and Cloudflare's) record every URL.
  const national = ben.phone.slice("+49".length);
  for (const url of urls) {
    expect(decodeURIComponent(url)).not.toContain(national);
  }
  const paths = urls.map((url) => new URL(url).pathname);
  expect(paths).toContain("/api/contacts/remove");
});

test("privacy audiences are saved", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await ana.page.goto("/settings");
  const about = ana.page.getByRole("combobox", { name: "About" });
  const photo = ana.page.getByRole("combobox", { name: "Profile photo" });
  await about.selectOption({ label: "My contacts" });
  await expect(ana.page.getByText("Saved.")).toBeVisible();
  await photo.selectOption({ label: "Nobody" });
  await expect(ana.page.getByText("Saved.")).toBeVisible();
  await expect(photo).toBeEnabled();

  await ana.page.reload();
  await expect(about).toHaveValue("contacts");
  await expect(photo).toHaveValue("nobody");
});
