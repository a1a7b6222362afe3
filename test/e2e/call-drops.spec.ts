import type { Page } from "@playwright/test";
import {
  callEntry,
  callScreen,
  expectCounterAbove,
  expectMediaFlowing,
  mediaCounters,
  startCall,
  watchMedia,
} from "./call-steps.ts";
import { directPair, expect, messageWith, sendText, test } from "./helpers.ts";

/** Counts the `call.ping` frames that the page's sockets send. */
function countPings(page: Page): () => number {
  let pings = 0;
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => {
      if (String(payload).includes('"type":"call.ping"')) pings += 1;
    });
  });
  return () => pings;
}

test.describe("call connection drops", () => {
  test("call survives the caller offline 21 s", async ({ newPerson }) => {
    // The server ends a call 30 s after a party's last ping.
    test.setTimeout(150_000);
    const { ana, ben } = await directPair(newPerson);
    // Before watchMedia, whose reload opens the socket that pings.
    const pings = countPings(ana.page);
    await watchMedia(ana);
    await watchMedia(ben);
    await sendText(ana.page, "Can I call you?");
    await expect(messageWith(ben.page, "Can I call you?")).toBeVisible();

    await startCall(ana.page, false);
    const ringing = callScreen(ben.page, "Incoming voice call");
    await ringing.getByRole("button", { name: "Accept" }).click();
    await expectMediaFlowing(ana.page, { video: false });
    await expectMediaFlowing(ben.page, { video: false });

    // Drop Ana's socket right after a ping and bring it back 21 s later,
    // before the server's 30 s after that ping pass.
    const before = pings();
    await expect.poll(pings, { timeout: 15_000 }).toBeGreaterThan(before);
    await ana.context.setOffline(true);
    await ana.page.waitForTimeout(21_000);
    const offlinePings = pings();
    await ana.context.setOffline(false);

    // Two pings after the drop: the second is at least one ping period
    // later, past the 30 s since the last ping before the drop.
    await expect
      .poll(pings, { timeout: 30_000 })
      .toBeGreaterThanOrEqual(offlinePings + 2);
    await expect(
      callScreen(ben.page, "Incoming voice call").getByRole("status"),
    ).toHaveText(/^\d\d:\d\d$/);
    await expect(
      callScreen(ana.page, "Outgoing voice call").getByRole("status"),
    ).toHaveText(/^\d\d:\d\d$/);
    const received = (await mediaCounters(ben.page)).audioPacketsReceived;
    await expectCounterAbove(ben.page, "audioPacketsReceived", received);
  });

  test("caller back after the timeout sees the end", async ({ newPerson }) => {
    test.setTimeout(150_000);
    const { ana, ben } = await directPair(newPerson);
    await watchMedia(ana);
    await watchMedia(ben);
    await sendText(ana.page, "Can I call you?");
    await expect(messageWith(ben.page, "Can I call you?")).toBeVisible();
    await startCall(ana.page, false);
    const ringing = callScreen(ben.page, "Incoming voice call");
    await ringing.getByRole("button", { name: "Accept" }).click();
    await expectMediaFlowing(ana.page, { video: false });
    await expectMediaFlowing(ben.page, { video: false });

    // Ana's socket stays down until the server ended the call for Ben.
    await ana.context.setOffline(true);
    await expect(
      callScreen(ben.page, "Incoming voice call").getByRole("status"),
    ).toHaveText("Connection lost", { timeout: 45_000 });
    await ana.context.setOffline(false);

    // Her first ping on the new socket learns that the call is over.
    // Without it her end waits for its own 30 s lost timer after Ben's
    // end closed the peer connection, and shows "Connection lost".
    await expect(
      callScreen(ana.page, "Outgoing voice call").getByRole("status"),
    ).toHaveText("Call ended");
    await expect(callScreen(ana.page, /call$/)).toHaveCount(0);
    await expect(callEntry(ana.page, /^Outgoing voice call/)).toHaveCount(1);
    await expect(callEntry(ben.page, /^Incoming voice call/)).toHaveCount(1);
  });
});
