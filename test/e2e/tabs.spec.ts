import type { Page, WebSocket } from "@playwright/test";
import {
  chatHeader,
  composer,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
  type Person,
} from "./helpers.ts";

/** The open WebSockets to /api/ws of each tracked page. */
class SocketCounter {
  readonly #sockets = new Map<Page, WebSocket[]>();

  /** Counts the sockets `page` opens from now on; call before it loads. */
  track(page: Page): void {
    const sockets: WebSocket[] = [];
    this.#sockets.set(page, sockets);
    page.on("websocket", (socket) => {
      if (new URL(socket.url()).pathname === "/api/ws") sockets.push(socket);
    });
    page.on("close", () => this.#sockets.delete(page));
  }

  openOn(page: Page): number {
    const sockets = this.#sockets.get(page) ?? [];
    return sockets.filter((socket) => !socket.isClosed()).length;
  }

  /** Counts the sockets `page` opened, closed or not. */
  openedOn(page: Page): number {
    return this.#sockets.get(page)?.length ?? 0;
  }

  openInAll(): number {
    let count = 0;
    for (const page of this.#sockets.keys()) count += this.openOn(page);
    return count;
  }
}

function subtitle(page: Page) {
  return chatHeader(page).locator(".chat__subtitle");
}

function connectionLine(page: Page) {
  return page.locator(".status-line");
}

/**
 * Gives Ben two tabs in one browser context: the first (reloaded, so that
 * its socket is counted) leads, and the second, opened after it, follows.
 * Both show the chat with Ana.
 */
async function twoTabs(ben: Person, sockets: SocketCounter) {
  const leader = ben.page;
  sockets.track(leader);
  await leader.reload();
  await expect(messageLog(leader)).toBeVisible();
  await expect.poll(() => sockets.openOn(leader)).toBe(1);

  const follower = await ben.context.newPage();
  sockets.track(follower);
  await follower.goto("/");
  await openChat(follower, "Ana");
  await expect(connectionLine(follower)).toHaveText("");
  return { leader, follower };
}

test("two tabs share one socket and update live", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const sockets = new SocketCounter();
  const { leader, follower } = await twoTabs(ben, sockets);

  // The follower is online through the leader, without a socket of its own.
  expect(sockets.openOn(follower)).toBe(0);
  expect(sockets.openInAll()).toBe(1);

  await sendText(ana.page, "Live in both tabs");
  await expect(messageWith(leader, "Live in both tabs")).toBeVisible();
  await expect(messageWith(follower, "Live in both tabs")).toBeVisible();

  await sendText(follower, "Sent from the follower");
  await expect(messageWith(ana.page, "Sent from the follower")).toBeVisible();
  await expect(messageWith(leader, "Sent from the follower")).toBeVisible();

  // The leader shows the chat list, so only the follower shows the chat.
  // Presence and typing reach it through the leader.
  // A same-document navigation: a reload would hand the lead over.
  await leader.goBack();
  await expect(messageLog(leader)).toBeHidden();
  await expect(subtitle(follower)).toHaveText("online");
  await composer(ana.page).pressSequentially("Are you");
  await expect(subtitle(follower)).toHaveText("typing…");
  await ana.page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(messageWith(follower, "Are you")).toBeVisible();
  await expect(subtitle(follower)).toHaveText("online");
  // The follower's read receipt and typing reach Ana through the leader.
  await expect(tickOf(messageWith(ana.page, "Are you"))).toHaveAttribute(
    "aria-label",
    "Read",
  );
  await composer(follower).pressSequentially("Typing here");
  await expect(subtitle(ana.page)).toHaveText("typing…");
  await composer(follower).fill("");
  await expect(subtitle(ana.page)).toHaveText("online");

  // A later message proves that a second copy would have arrived by now.
  await sendText(ana.page, "Last one");
  await expect(messageWith(ana.page, "Last one")).toBeVisible();
  await expect(messageWith(follower, "Last one")).toBeVisible();
  await expect(messageWith(ana.page, "Sent from the follower")).toHaveCount(1);
  await expect(messageWith(follower, "Sent from the follower")).toHaveCount(1);
  await expect(messageWith(follower, "Live in both tabs")).toHaveCount(1);
  expect(sockets.openOn(follower)).toBe(0);
  expect(sockets.openInAll()).toBe(1);
});

test("follower takes over when the leader closes", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const sockets = new SocketCounter();
  const { leader, follower } = await twoTabs(ben, sockets);
  await sendText(ana.page, "Before the handover");
  await expect(messageWith(follower, "Before the handover")).toBeVisible();

  // Messages in both directions while no tab has a socket: Ana's arrive
  // through the new leader's sync, Ben's wait in the shared outbox.
  await leader.close();
  await sendText(ana.page, "Ana mid-handover");
  await sendText(follower, "Ben mid-handover");

  await expect.poll(() => sockets.openOn(follower)).toBe(1);
  await expect(connectionLine(follower)).toHaveText("");
  for (const text of ["After 1", "After 2", "After 3"]) {
    await sendText(ana.page, text);
  }
  await sendText(follower, "Ben after the handover");

  for (const text of ["Ana mid-handover", "After 1", "After 2", "After 3"]) {
    await expect(messageWith(follower, text)).toBeVisible();
  }
  for (const text of ["Ben mid-handover", "Ben after the handover"]) {
    await expect(messageWith(ana.page, text)).toBeVisible();
  }

  // Every message shows once on both sides, and in order for Ben.
  await sendText(ana.page, "Last one");
  await expect(messageWith(follower, "Last one")).toBeVisible();
  const expected = [
    "Before the handover",
    "Ana mid-handover",
    "Ben mid-handover",
    "After 1",
    "After 2",
    "After 3",
    "Ben after the handover",
  ];
  for (const text of expected) {
    await expect(messageWith(follower, text)).toHaveCount(1);
    await expect(messageWith(ana.page, text)).toHaveCount(1);
  }
  const anaTexts = ["Ana mid-handover", "After 1", "After 2", "After 3"];
  const articles = await messageLog(follower)
    .getByRole("article")
    .allInnerTexts();
  const positions = anaTexts.map((text) =>
    articles.findIndex((article) => article.includes(text)),
  );
  expect(positions).toEqual([...positions].sort((a, b) => a - b));
  expect(sockets.openInAll()).toBe(1);
});

test("logout in one tab signs out all", async ({ newPerson }) => {
  const { ben } = await directPair(newPerson);
  const sockets = new SocketCounter();
  const { leader, follower } = await twoTabs(ben, sockets);

  await follower.goto("/settings");
  await follower.getByRole("button", { name: "Log out" }).click();

  for (const page of [follower, leader]) {
    await expect(page.getByRole("button", { name: "Send code" })).toBeVisible();
  }
  await expect(leader.getByText("This device was logged out.")).toBeHidden();
  expect(sockets.openedOn(follower)).toBe(0);
  expect(sockets.openedOn(leader)).toBe(1);
  // Chromium reports the close once the closing handshake ends, which took
  // 10 to 15 seconds through the wrangler dev proxy in test runs.
  await expect.poll(() => sockets.openInAll(), { timeout: 45_000 }).toBe(0);
});

test("revocation reaches every tab", async ({ newPerson, newDevice }) => {
  const ana = await newPerson("Ana");
  const laptop = await newDevice(ana);
  const laptopTab = await laptop.context().newPage();
  await laptopTab.goto("/");
  await expect(laptopTab.getByRole("heading", { name: "Chats" })).toBeVisible();

  await ana.page.goto("/settings/devices");
  const devices = ana.page.getByRole("list").filter({ hasText: "This device" });
  await expect(devices.getByRole("listitem")).toHaveCount(2);
  await devices.getByRole("button", { name: /^Log out / }).click();

  for (const page of [laptop, laptopTab]) {
    await expect(page.getByText("This device was logged out.")).toBeVisible();
  }

  // Signing in again from one tab brings every tab to the sign-in screen.
  await laptopTab.getByRole("button", { name: "Sign in again" }).click();
  for (const page of [laptopTab, laptop]) {
    await expect(page.getByRole("button", { name: "Send code" })).toBeVisible();
  }
});

test("follower takes over when the leader crashes", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const sockets = new SocketCounter();
  const { leader, follower } = await twoTabs(ben, sockets);

  // Page.crash kills the renderer without unload handlers, as a crash does.
  const crashed = leader.waitForEvent("crash");
  const devtools = await ben.context.newCDPSession(leader);
  void devtools.send("Page.crash").catch(() => undefined);
  await crashed;
  await sendText(ana.page, "Ana after the crash");

  await expect.poll(() => sockets.openedOn(follower)).toBe(1);
  await expect(messageWith(follower, "Ana after the crash")).toBeVisible();
  await sendText(follower, "Ben after the crash");
  await expect(messageWith(ana.page, "Ben after the crash")).toBeVisible();

  await sendText(ana.page, "Last one");
  await expect(messageWith(follower, "Last one")).toBeVisible();
  await expect(messageWith(follower, "Ana after the crash")).toHaveCount(1);
  await expect(messageWith(ana.page, "Ben after the crash")).toHaveCount(1);
});
