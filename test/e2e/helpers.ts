// Fixtures and steps shared by the end-to-end specs. Each person gets a
// browser context of their own and signs in through the UI with the code
// that the development SMS outbox (GET /api/dev/sms) received.
import {
  expect,
  test as base,
  type BrowserContext,
  type Locator,
  type Page,
} from "@playwright/test";

export { expect };

/** One person using the app in a browser context of their own. */
export interface Person {
  name: string;
  phone: string;
  context: BrowserContext;
  page: Page;
}

interface Fixtures {
  /** Creates a person in a new context and signs them up with `name`. */
  newPerson: (name: string) => Promise<Person>;
  /** Opens a new context for another device of `person` and signs it in. */
  newDevice: (person: Person) => Promise<Page>;
}

/** One outbox entry of GET /api/dev/sms. */
interface Sms {
  to: string;
  body: string;
  sentAt: number;
}

let addressCounter = 0;

/**
 * Returns a client address for a new context. The Worker rate-limits code
 * requests per `CF-Connecting-IP`, which wrangler dev keeps when the request
 * already has one, so each person looks like a different network (addresses
 * from the 198.18.0.0/15 benchmarking range, never contacted).
 */
function nextClientAddress(workerIndex: number): string {
  addressCounter += 1;
  return `198.18.${workerIndex % 256}.${addressCounter % 250}`;
}

/** Returns an unused Berlin number in E.164, for example +493012345678. */
export function uniquePhone(): string {
  const digits = Math.floor(Math.random() * 100_000_000);
  return `+4930${String(digits).padStart(8, "0")}`;
}

async function newestSms(page: Page, phone: string): Promise<Sms | null> {
  const reply = await page.request.get(
    `/api/dev/sms?phone=${encodeURIComponent(phone)}`,
  );
  expect(reply.status(), "GET /api/dev/sms status").toBe(200);
  const { messages } = (await reply.json()) as { messages: Sms[] };
  let newest: Sms | null = null;
  for (const sms of messages) {
    if (newest === null || sms.sentAt >= newest.sentAt) newest = sms;
  }
  return newest;
}

/** Waits for an SMS to `phone` newer than `before` and returns its code. */
export async function waitForCode(
  page: Page,
  phone: string,
  before: Sms | null,
): Promise<string> {
  let code = "";
  await expect
    .poll(
      async () => {
        const sms = await newestSms(page, phone);
        const isNew =
          sms !== null &&
          (before === null ||
            sms.sentAt > before.sentAt ||
            sms.body !== before.body);
        code = isNew ? (/\b(\d{6})\b/.exec(sms.body)?.[1] ?? "") : "";
        return code;
      },
      { message: `a 6-digit code sent to ${phone}`, timeout: 10_000 },
    )
    .toMatch(/^\d{6}$/);
  return code;
}

/** Requests a code for `phone` on the sign-in screen and returns it. */
export async function requestCode(page: Page, phone: string): Promise<string> {
  await page.getByRole("textbox", { name: "Phone number" }).fill(phone);
  const before = await newestSms(page, phone);
  await page.getByRole("button", { name: "Send code" }).click();
  await expect(
    page.getByRole("textbox", { name: "Verification code" }),
  ).toBeVisible();
  return waitForCode(page, phone, before);
}

/**
 * Waits until the device signed in on `page` has published MLS
 * KeyPackages, so that the chats it joins can add it at once.
 */
export async function waitForKeyPackages(page: Page): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const response = await fetch("/api/keys");
          if (!response.ok) return 0;
          const status = (await response.json()) as { stock: number };
          return status.stock;
        }),
      { message: "the device publishes its KeyPackages", timeout: 10_000 },
    )
    .toBeGreaterThan(0);
}

/** Signs an existing account in on `page` and waits for the chat list. */
export async function signIn(page: Page, phone: string): Promise<void> {
  await page.goto("/");
  const code = await requestCode(page, phone);
  await page.getByRole("textbox", { name: "Verification code" }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("heading", { name: "Chats" })).toBeVisible();
  await waitForKeyPackages(page);
}

/** Creates the account for `phone` through the UI, named `name`. */
export async function signUp(
  page: Page,
  phone: string,
  name: string,
): Promise<void> {
  await page.goto("/");
  const code = await requestCode(page, phone);
  await page.getByRole("textbox", { name: "Verification code" }).fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("textbox", { name: "Your name" }).fill(name);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { name: "Chats" })).toBeVisible();
  await waitForKeyPackages(page);
}

export const test = base.extend<Fixtures>({
  // The server's address is known only after the global setup started it.
  // eslint-disable-next-line no-empty-pattern
  baseURL: async ({}, use) => {
    const baseURL = process.env.E2E_BASE_URL;
    if (!baseURL) throw new Error("E2E_BASE_URL is not set by global setup");
    await use(baseURL);
  },

  newPerson: async ({ browser }, use, testInfo) => {
    const contexts: BrowserContext[] = [];
    await use(async (name) => {
      const context = await browser.newContext({
        extraHTTPHeaders: {
          "CF-Connecting-IP": nextClientAddress(testInfo.workerIndex),
        },
        permissions: ["clipboard-read", "clipboard-write"],
      });
      contexts.push(context);
      const page = await context.newPage();
      const phone = uniquePhone();
      await signUp(page, phone, name);
      return { name, phone, context, page };
    });
    for (const context of contexts) await context.close();
  },

  newDevice: async ({ browser }, use, testInfo) => {
    const contexts: BrowserContext[] = [];
    await use(async (person) => {
      const context = await browser.newContext({
        extraHTTPHeaders: {
          "CF-Connecting-IP": nextClientAddress(testInfo.workerIndex),
        },
      });
      contexts.push(context);
      const page = await context.newPage();
      await signIn(page, person.phone);
      return page;
    });
    for (const context of contexts) await context.close();
  },
});

// ---- screens ----

/** Returns the chat list of the main screen. */
export function chatList(page: Page): Locator {
  return page.getByRole("list", { name: "Chat list" });
}

/**
 * Returns the link of the chat titled `title` in the chat list. A person
 * not in the viewer's contacts shows as their number and "~name", so
 * `title` also matches after such a number.
 */
export function chatLink(page: Page, title: string): Locator {
  return chatList(page).getByRole("link", {
    name: new RegExp(`^(\\+[\\d ]+ ~)?${escapeRegExp(title)}`),
  });
}

/** Returns `phone` (+4930…, from uniquePhone) as the app formats it. */
export function formattedPhone(phone: string): string {
  return `+49 30 ${phone.slice("+4930".length)}`;
}

/**
 * Returns how the app names `person` for someone who has not saved them:
 * their number, then "~" and their own name.
 */
export function strangerName(person: Person): string {
  return `${formattedPhone(person.phone)} ~${person.name}`;
}

/** Returns the header of the open chat, with its "Chat info" button. */
export function chatHeader(page: Page): Locator {
  return page
    .locator("header")
    .filter({ has: page.getByRole("button", { name: "Chat info" }) });
}

/** Returns the message log of the open chat. */
export function messageLog(page: Page): Locator {
  return page.getByRole("log", { name: "Messages" });
}

/** Returns the message articles of the open chat that contain `text`. */
export function messageWith(page: Page, text: string | RegExp): Locator {
  return messageLog(page).getByRole("article").filter({ hasText: text });
}

/** Returns the text element (marked `dir="auto"`) of a message article. */
export function messageText(message: Locator): Locator {
  return message.locator('[dir="auto"]').first();
}

/** Returns the delivery tick of one of your own messages. */
export function tickOf(message: Locator): Locator {
  return message.getByRole("img", {
    name: /^(Pending|Sent|Delivered|Read|Failed)$/,
  });
}

/** Returns the composer's textbox. */
export function composer(page: Page): Locator {
  return page.getByRole("textbox", { name: "Message", exact: true });
}

/** Types `text` into the composer and presses the Send button. */
export async function sendText(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(composer(page)).toHaveValue("");
}

/** Opens the "Message actions" menu of `message` and picks `item`. */
export async function chooseAction(
  page: Page,
  message: Locator,
  item: string,
): Promise<void> {
  await message.hover();
  await message.getByRole("button", { name: "Message actions" }).click();
  await page
    .getByRole("menu")
    .getByRole("menuitem", { name: item, exact: true })
    .click();
}

/**
 * Opens the direct chat with the owner of `phone` from the "New chat"
 * screen and waits for the composer.
 */
export async function openDirectChat(page: Page, phone: string): Promise<void> {
  await page.getByRole("button", { name: "New chat" }).click();
  await page.getByRole("textbox", { name: "Phone number" }).fill(phone);
  await page.getByRole("button", { name: "Find" }).click();
  await page.getByRole("button", { name: "Message", exact: true }).click();
  await expect(composer(page)).toBeVisible();
}

/** Opens the chat titled `title` from the chat list. */
export async function openChat(page: Page, title: string): Promise<void> {
  await chatLink(page, title).click();
  await expect(messageLog(page)).toBeVisible();
}

/** Signs up Ana and Ben and opens a direct chat between them on both sides. */
export async function directPair(
  newPerson: Fixtures["newPerson"],
): Promise<{ ana: Person; ben: Person }> {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await openDirectChat(ana.page, ben.phone);
  await sendText(ana.page, "Hi Ben");
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "Hi Ben")).toBeVisible();
  return { ana, ben };
}

/** Returns `text` with the characters special in a RegExp escaped. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
