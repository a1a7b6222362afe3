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
  syncTags,
  waitForServiceWorker,
} from "./service-worker.ts";

/** The tick labels of a message the server stored. */
const SENT = /^(Sent|Delivered|Read)$/;

/** Returns the "Waiting for network" status line. */
function networkStatus(page: Page) {
  return page.getByRole("status").filter({ hasText: "Waiting for network" });
}

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
  await ana.page.close();
  expect(ana.context.pages()).toHaveLength(0);
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
  const resent = sendFrames.filter((frame) => frame.includes(text));
  expect(resent, "send frames of the background message").toEqual([]);
  await expect(messageWith(reopened, text)).toHaveCount(1);

  await ben.page.reload();
  await expect(messageWith(ben.page, "Back in the app")).toBeVisible();
  await expect(messageWith(ben.page, text)).toHaveCount(1);
});
