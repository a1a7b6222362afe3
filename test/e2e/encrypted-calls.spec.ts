// End-to-end encrypted one-to-one calls: both ends run every sender and
// receiver through the SFrame transform, decode each other's video, and
// show the same verification code.
import type { Page } from "@playwright/test";
import {
  callScreen,
  expectMediaFlowing,
  mediaCounters,
  startCall,
  watchMedia,
} from "./call-steps.ts";
import { directPair, expect, messageWith, sendText, test } from "./helpers.ts";

/** Counts of the newest open peer connection's senders and receivers. */
interface Transforms {
  senders: number;
  sendersWithTransform: number;
  receivers: number;
  receiversWithTransform: number;
}

async function transformsOf(page: Page): Promise<Transforms> {
  return page.evaluate(() => {
    const open = (window.testPeerConnections ?? []).filter(
      (connection) => connection.connectionState !== "closed",
    );
    const connection = open[open.length - 1];
    const senders = (connection?.getSenders() ?? []).filter(
      (sender) => sender.track !== null,
    );
    const receivers = connection?.getReceivers() ?? [];
    return {
      senders: senders.length,
      sendersWithTransform: senders.filter(
        (sender) => sender.transform instanceof RTCRtpScriptTransform,
      ).length,
      receivers: receivers.length,
      receiversWithTransform: receivers.filter(
        (receiver) => receiver.transform instanceof RTCRtpScriptTransform,
      ).length,
    };
  });
}

function verificationCode(page: Page) {
  return page.getByLabel("Verification code");
}

test.describe("encrypted one-to-one calls", () => {
  test("video decodes both ways with one code", async ({ newPerson }) => {
    const { ana, ben } = await directPair(newPerson);
    await watchMedia(ana);
    await watchMedia(ben);
    // The first message creates the chat's MLS group, the keys' source.
    await sendText(ana.page, "Can I call you?");
    await expect(messageWith(ben.page, "Can I call you?")).toBeVisible();

    await startCall(ana.page, true);
    const ringing = callScreen(ben.page, "Incoming video call");
    await ringing.getByRole("button", { name: "Accept with video" }).click();
    await expectMediaFlowing(ana.page, { video: true });
    await expectMediaFlowing(ben.page, { video: true });

    for (const page of [ana.page, ben.page]) {
      const transforms = await transformsOf(page);
      expect(transforms.senders).toBe(2);
      expect(transforms.sendersWithTransform).toBe(2);
      expect(transforms.receivers).toBe(2);
      expect(transforms.receiversWithTransform).toBe(2);
      await expect(callScreen(page, /video call/)).toContainText(
        "End-to-end encrypted",
      );
    }

    await expect(verificationCode(ana.page)).toHaveText(
      /^\d{4} \d{4} \d{4} \d{4}$/,
    );
    const code = await verificationCode(ana.page).textContent();
    await expect(verificationCode(ben.page)).toHaveText(code ?? "");

    // Decoding goes on under the keys, not only for the first frames.
    for (const page of [ana.page, ben.page]) {
      const before = (await mediaCounters(page)).framesDecoded;
      await expect
        .poll(async () => (await mediaCounters(page)).framesDecoded, {
          message: "inbound video framesDecoded keeps growing",
          timeout: 15_000,
        })
        .toBeGreaterThan(before + 20);
    }
  });
});
