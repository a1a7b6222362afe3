import type { Page } from "@playwright/test";
import { OUTBOX_SYNC_TAG } from "../../protocol/index.ts";
import {
  directPair,
  expect,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";
import {
  dispatchSync,
  recordServiceWorkerLog,
  syncTags,
  waitForEncryptedOutbox,
  waitForServiceWorker,
} from "./service-worker.ts";
import {
  directAndGroup,
  expectDirectMessages,
  networkStatus,
  NOT_MEMBER,
  removeFromGroup,
  SENT,
} from "./steps.ts";

/** Collects the `send` frames that `page` writes to its WebSocket. */
function recordSendFrames(page: Page): string[] {
  const frames: string[] = [];
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      if (typeof payload === "string" && payload.includes('"type":"send"')) {
        frames.push(payload);
      }
    });
  });
  return frames;
}

test("background sync sends with no page open", async ({
  newPerson,
  baseURL,
}) => {
  const { ana, ben } = await directPair(newPerson);
  // The test's browser context denies Background Sync unless granted.
  await ana.context.grantPermissions(["background-sync"]);
  await waitForServiceWorker(ana.page);
  const text = "Sent in the background";

  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await sendText(ana.page, text);
  const pending = tickOf(messageWith(ana.page, text));
  await expect(pending).toHaveAttribute("aria-label", "Pending");
  await expect
    .poll(() => syncTags(ana.page), { message: "the outbox sync tag" })
    .toContain(OUTBOX_SYNC_TAG);

  // Every page of the app closes while offline, so only the service worker
  // can send the message.
  await waitForEncryptedOutbox(ana.page);
  await ana.page.close();
  expect(ana.context.pages()).toHaveLength(0);
  // Chromium may fire the sync by itself once the context is online; the
  // worker joins the two events into one send.
  await ana.context.setOffline(false);
  await dispatchSync(ana.context, baseURL!, OUTBOX_SYNC_TAG);

  await expect(messageWith(ben.page, text)).toHaveCount(1);

  // The app opens offline first, so the tick can come only from what the
  // service worker stored, not from a resend over the socket.
  await ana.context.setOffline(true);
  const reopened = await ana.context.newPage();
  const sendFrames = recordSendFrames(reopened);
  await reopened.goto("/");
  await expect(networkStatus(reopened)).toBeVisible();
  await openChat(reopened, "Ben");
  const tick = tickOf(messageWith(reopened, text));
  await expect(tick).toHaveAttribute("aria-label", SENT);

  // Online again, a later send is acknowledged. The outbox sends in order,
  // so a leftover copy of the background send would have gone out first.
  await ana.context.setOffline(false);
  await expect(networkStatus(reopened)).toHaveCount(0);
  await sendText(reopened, "Back in the app");
  const later = tickOf(messageWith(reopened, "Back in the app"));
  await expect(later).toHaveAttribute("aria-label", SENT);
  // Bodies are encrypted, so the frames are counted: one for the later
  // message and none for a leftover copy of the background send.
  expect(sendFrames, "send frames after the reopen").toHaveLength(1);
  await expect(messageWith(reopened, text)).toHaveCount(1);

  await ben.page.reload();
  await expect(messageWith(ben.page, "Back in the app")).toBeVisible();
  await expect(messageWith(ben.page, text)).toHaveCount(1);
});

test("background sync skips a rejected send", async ({
  newPerson,
  baseURL,
}) => {
  test.setTimeout(120_000);
  const { ana, ben } = await directAndGroup(newPerson);
  await ana.context.grantPermissions(["background-sync"]);
  await waitForServiceWorker(ana.page);

  // Offline, Ana writes to Ben, to the group, and to Ben again.
  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  const writes = [
    { chat: "Ben", text: "First, direct" },
    { chat: "Trip", text: "Second, to the group" },
    { chat: "Ben", text: "Third, direct" },
  ];
  for (const { chat, text } of writes) {
    await ana.page.goto("/");
    await openChat(ana.page, chat);
    await sendText(ana.page, text);
  }
  await expect
    .poll(() => syncTags(ana.page), { message: "the outbox sync tag" })
    .toContain(OUTBOX_SYNC_TAG);

  await waitForEncryptedOutbox(ana.page);

  // Ben removes Ana from the group while her device is offline and closed.
  await waitForEncryptedOutbox(ana.page);
  await ana.page.close();
  await removeFromGroup(ben.page, ana);
  await ana.context.setOffline(false);
  await dispatchSync(ana.context, baseURL!, OUTBOX_SYNC_TAG);

  await ben.page.goto("/");
  await openChat(ben.page, "Ana");
  await expectDirectMessages(ben.page, ["First, direct", "Third, direct"]);

  // Opened offline, the app shows what the service worker stored: two sent
  // messages, and the group message failed with the server's reason.
  await ana.context.setOffline(true);
  const reopened = await ana.context.newPage();
  await reopened.goto("/");
  await expect(networkStatus(reopened)).toBeVisible();
  await openChat(reopened, "Ben");
  for (const text of ["First, direct", "Third, direct"]) {
    const tick = tickOf(messageWith(reopened, text));
    await expect(tick).toHaveAttribute("aria-label", SENT);
  }
  await reopened.goto("/");
  await openChat(reopened, "Trip");
  const rejected = messageWith(reopened, "Second, to the group");
  await expect(tickOf(rejected)).toHaveAttribute("aria-label", "Failed");
  await expect(rejected).toContainText(NOT_MEMBER);
  await expect(rejected.getByRole("button", { name: "Retry" })).toBeVisible();
  await expect(rejected.getByRole("button", { name: "Delete" })).toBeVisible();
});

test("background sync keeps sends it cannot deliver", async ({
  newPerson,
  baseURL,
}) => {
  const { ana, ben } = await directPair(newPerson);
  await ana.context.grantPermissions(["background-sync"]);
  await waitForServiceWorker(ana.page);
  const log = recordServiceWorkerLog(ana.context);
  const text = "Waiting for the network";

  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await sendText(ana.page, text);
  // The sync is registered once the message is encrypted for the worker.
  await expect
    .poll(() => syncTags(ana.page), { message: "the outbox sync tag" })
    .toContain(OUTBOX_SYNC_TAG);
  await waitForEncryptedOutbox(ana.page);
  await ana.page.close();

  // Chromium does not fire `sync` at a worker whose network is emulated
  // offline, so the network fails for the send route alone. Going online
  // may fire the sync by itself too, before the one dispatched here.
  await ana.context.route("**/api/chats/*/messages", (route) =>
    route.abort("internetdisconnected"),
  );
  await ana.context.setOffline(false);
  await dispatchSync(ana.context, baseURL!, OUTBOX_SYNC_TAG);
  await expect
    .poll(() => log.some((line) => line.includes("sw.outbox_send_failed")), {
      message: "the service worker's send failed",
    })
    .toBe(true);
  await expect(messageWith(ben.page, text)).toHaveCount(0);

  // The message stays queued, so the next start sends it.
  await ana.context.unroute("**/api/chats/*/messages");
  const reopened = await ana.context.newPage();
  await reopened.goto("/");
  await openChat(reopened, "Ben");
  const tick = tickOf(messageWith(reopened, text));
  await expect(tick).toHaveAttribute("aria-label", SENT);
  await expect(messageWith(ben.page, text)).toHaveCount(1);
});

/**
 * Sends `text` in the chat `chatName` over a socket that drops every
 * `send` frame (the body is encrypted, so the text cannot be matched), so
 * the message stays queued on `page` as pending.
 */
async function sendLostBySocket(
  page: Page,
  chatName: string,
  text: string,
): Promise<void> {
  await page.routeWebSocket(/\/api\/ws$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((frame) => {
      if (typeof frame === "string" && frame.includes('"type":"send"')) {
        return;
      }
      server.send(frame);
    });
  });
  await page.reload();
  await openChat(page, chatName);
  await sendText(page, text);
  const pending = tickOf(messageWith(page, text));
  await expect(pending).toHaveAttribute("aria-label", "Pending");
  await waitForEncryptedOutbox(page);
}

test("background sync sends what the socket lost", async ({
  newPerson,
  baseURL,
}) => {
  const { ana, ben } = await directPair(newPerson);
  await ana.context.grantPermissions(["background-sync"]);
  await waitForServiceWorker(ana.page);
  const text = "Lost with the connection";

  // Online, the send leaves by the socket, but the network fails before
  // the frame reaches the server.
  await sendLostBySocket(ana.page, "Ben", text);
  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await expect
    .poll(() => syncTags(ana.page), { message: "the outbox sync tag" })
    .toContain(OUTBOX_SYNC_TAG);

  // The tab closes before the network is back, so only the service worker
  // can send the message.
  await waitForEncryptedOutbox(ana.page);
  await ana.page.close();
  await ana.context.setOffline(false);
  await dispatchSync(ana.context, baseURL!, OUTBOX_SYNC_TAG);
  await expect(messageWith(ben.page, text)).toHaveCount(1);
});

test("background sync waits for open pages to close", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await ana.context.grantPermissions(["background-sync"]);
  await waitForServiceWorker(ana.page);
  const text = "Queued while the page was open";

  // The socket loses the send, so the message stays queued in the page.
  await sendLostBySocket(ana.page, "Ben", text);

  // Online, the browser fires the sync at once, while the page is open.
  // The worker must keep waiting rather than end the sync and lose it.
  await ana.page.evaluate(async (tag) => {
    const registration = await navigator.serviceWorker.ready;
    const sync = (
      registration as unknown as {
        sync: { register(tag: string): Promise<void> };
      }
    ).sync;
    await sync.register(tag);
  }, OUTBOX_SYNC_TAG);
  await waitForEncryptedOutbox(ana.page);
  await ana.page.close();
  await expect(messageWith(ben.page, text)).toHaveCount(1);
});
