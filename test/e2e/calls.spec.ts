import {
  callEntry,
  callScreen,
  expectCounterAbove,
  expectCounterStops,
  expectMediaFlowing,
  gateSignals,
  iceUfrags,
  liveCameraTracks,
  mediaCounters,
  startCall,
  watchMedia,
} from "./call-steps.ts";
import { createGroup } from "./steps.ts";
import {
  chatHeader,
  chatLink,
  directPair,
  openDirectChat,
  expect,
  messageWith,
  sendText,
  test,
  type Person,
} from "./helpers.ts";

/**
 * Signs up Ana and Ben with their direct chat open, records their media,
 * and waits until Ben's socket delivers, so a call reaches him.
 */
async function callPair(
  newPerson: (name: string) => Promise<Person>,
): Promise<{ ana: Person; ben: Person }> {
  const pair = await directPair(newPerson);
  await watchMedia(pair.ana);
  await watchMedia(pair.ben);
  await sendText(pair.ana.page, "Can I call you?");
  await expect(messageWith(pair.ben.page, "Can I call you?")).toBeVisible();
  return pair;
}

/** Ana calls Ben and Ben accepts; waits until media flows both ways. */
async function connectedCall(
  ana: Person,
  ben: Person,
  video: boolean,
): Promise<void> {
  await startCall(ana.page, video);
  const kind = video ? "video call" : "voice call";
  const ringing = callScreen(ben.page, `Incoming ${kind}`);
  await expect(ringing).toContainText("Ana");
  await ringing
    .getByRole("button", { name: video ? "Accept with video" : "Accept" })
    .click();
  await expectMediaFlowing(ana.page, { video });
  await expectMediaFlowing(ben.page, { video });
}

test.describe("call screens", () => {
  test("group chats get group call buttons", async ({ newPerson }) => {
    const { ana, ben } = await directPair(newPerson);
    const header = chatHeader(ana.page);
    await expect(
      header.getByRole("button", { name: "Voice call" }),
    ).toBeVisible();
    await expect(
      header.getByRole("button", { name: "Video call" }),
    ).toBeVisible();

    await createGroup(ana, "Team", [ben]);
    await expect(chatHeader(ana.page)).toContainText("Team");
    const groupHeader = chatHeader(ana.page);
    await expect(
      groupHeader.getByRole("button", { name: "Voice call", exact: true }),
    ).toHaveCount(0);
    await expect(
      groupHeader.getByRole("button", { name: "Video call", exact: true }),
    ).toHaveCount(0);
    await expect(
      groupHeader.getByRole("button", { name: "Start voice call" }),
    ).toBeVisible();
    await expect(
      groupHeader.getByRole("button", { name: "Start video call" }),
    ).toBeVisible();
  });

  test("calls tab without calls says so", async ({ newPerson }) => {
    const ana = await newPerson("Ana");
    await ana.page.getByRole("button", { name: "Calls" }).click();
    await expect(ana.page).toHaveURL(/\/calls$/);
    await expect(
      ana.page.getByRole("heading", { name: "Calls" }),
    ).toBeVisible();
    await expect(ana.page.getByText("No calls yet.")).toBeVisible();
  });
});

test.describe("one-to-one calls", () => {
  test("video call sends media both ways", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await startCall(ana.page, true);
    const outgoing = callScreen(ana.page, "Outgoing video call");
    await expect(outgoing.getByRole("status")).toHaveText(
      /^(Calling|Ringing)…$/,
    );
    await expect(outgoing.getByRole("status")).toHaveText("Ringing…");
    const ringing = callScreen(ben.page, "Incoming video call");
    await expect(ringing).toContainText("Ana");
    await expect(
      ringing.getByRole("button", { name: "Accept as voice call" }),
    ).toBeVisible();
    await ringing.getByRole("button", { name: "Accept with video" }).click();

    await expectMediaFlowing(ana.page, { video: true });
    await expectMediaFlowing(ben.page, { video: true });
    await expect(outgoing.getByRole("status")).toHaveText(/^\d\d:\d\d$/);
    await expect(
      callScreen(ben.page, "Incoming video call").getByRole("status"),
    ).toHaveText(/^\d\d:\d\d$/);
  });

  test("mute stops outbound audio", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await connectedCall(ana, ben, false);
    const screen = callScreen(ana.page, "Outgoing voice call");
    await screen.getByRole("button", { name: "Mute" }).click();
    await expect(
      screen.getByRole("button", { name: "Unmute" }),
    ).toHaveAttribute("aria-pressed", "true");
    await expect(callScreen(ben.page, "Incoming voice call")).toContainText(
      "Ana muted their microphone",
    );
    const stoppedAt = await expectCounterStops(ana.page, "audioPacketsSent");
    // Ben's audio still reaches Ana, so the connection itself is alive.
    const received = (await mediaCounters(ana.page)).audioPacketsReceived;
    await expectCounterAbove(ana.page, "audioPacketsReceived", received);

    await screen.getByRole("button", { name: "Unmute" }).click();
    await expectCounterAbove(ana.page, "audioPacketsSent", stoppedAt);
  });

  test("camera off stops outbound video", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await connectedCall(ana, ben, true);
    const screen = callScreen(ana.page, "Outgoing video call");
    expect(await liveCameraTracks(ana.page)).toBe(1);
    await screen.getByRole("button", { name: "Turn camera off" }).click();
    await expect(
      screen.getByRole("button", { name: "Turn camera on" }),
    ).toBeVisible();
    await expect.poll(() => liveCameraTracks(ana.page)).toBe(0);
    await expect(callScreen(ben.page, "Incoming video call")).toContainText(
      "Ana turned their camera off",
    );
    const stoppedAt = await expectCounterStops(ana.page, "videoPacketsSent");

    await screen.getByRole("button", { name: "Turn camera on" }).click();
    await expectCounterAbove(ana.page, "videoPacketsSent", stoppedAt);
    expect(await liveCameraTracks(ana.page)).toBe(1);
  });

  test("hang-up ends both sides and logs the call", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await connectedCall(ana, ben, true);
    await callScreen(ana.page, "Outgoing video call")
      .getByRole("button", { name: "End call" })
      .click();
    await expect(
      callScreen(ana.page, "Outgoing video call").getByRole("status"),
    ).toHaveText(/^Call ended \d\d:\d\d$/);
    await expect(
      callScreen(ben.page, "Incoming video call").getByRole("status"),
    ).toHaveText(/^Call ended \d\d:\d\d$/);
    await expect(callScreen(ana.page, /call$/)).toHaveCount(0);
    await expect(callScreen(ben.page, /call$/)).toHaveCount(0);
    expect(await liveCameraTracks(ana.page)).toBe(0);
    expect(await liveCameraTracks(ben.page)).toBe(0);

    const outgoing = callEntry(ana.page, /^Outgoing video call · \d+:\d\d$/);
    await expect(outgoing).toBeVisible();
    await expect(
      outgoing.getByRole("button", { name: "Call back" }),
    ).toBeVisible();
    await expect(
      callEntry(ben.page, /^Incoming video call · \d+:\d\d$/),
    ).toBeVisible();

    await ana.page.getByRole("button", { name: "Calls" }).click();
    const calls = ana.page.getByRole("list", { name: "Calls" });
    const row = calls.getByRole("listitem");
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Ben");
    await expect(row).toContainText(/Outgoing video call · \d+:\d\d/);
    await expect(
      row.getByRole("button", { name: /^Call .*Ben back$/ }),
    ).toBeVisible();
  });

  test("declined call logs Declined on both ends", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await startCall(ana.page, false);
    const ringing = callScreen(ben.page, "Incoming voice call");
    await ringing.getByRole("button", { name: "Decline" }).click();
    await expect(
      callScreen(ana.page, "Outgoing voice call").getByRole("status"),
    ).toHaveText("Declined");
    await expect(ringing).toHaveCount(0);
    await expect(
      callEntry(ana.page, "Outgoing voice call · Declined"),
    ).toBeVisible();
    await expect(
      callEntry(ben.page, "Incoming voice call · Declined"),
    ).toBeVisible();
  });

  test("unanswered call is missed", async ({ newPerson }) => {
    // The server rings for CALL_RING_TIMEOUT_MS (45 s) before it gives up.
    test.setTimeout(180_000);
    const { ana, ben } = await callPair(newPerson);
    // Ben leaves the chat without a reload, so his socket stays open.
    await ben.page.evaluate(() => {
      history.pushState({}, "", "/");
      dispatchEvent(new PopStateEvent("popstate"));
    });
    await expect(ben.page.getByRole("log", { name: "Messages" })).toHaveCount(
      0,
    );
    await startCall(ana.page, false);
    await expect(callScreen(ben.page, "Incoming voice call")).toBeVisible();
    await expect(
      callScreen(ana.page, "Outgoing voice call").getByRole("status"),
    ).toHaveText("No answer", { timeout: 70_000 });
    await expect(callScreen(ben.page, "Incoming voice call")).toHaveCount(0);
    const anaRow = chatLink(ben.page, "Ana");
    await expect(anaRow).toContainText("Missed voice call");
    await expect(anaRow.getByLabel("1 unread messages")).toBeVisible();
    await expect(
      callEntry(ana.page, "Outgoing voice call · No answer"),
    ).toBeVisible();

    await ben.page.getByRole("button", { name: "Calls" }).click();
    const row = ben.page
      .getByRole("list", { name: "Calls" })
      .getByRole("listitem");
    await expect(row).toContainText("Incoming voice call · Missed");
  });

  test("video on at both ends at once connects", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    const anaGate = await gateSignals(ana.page);
    const benGate = await gateSignals(ben.page);
    await sendText(ana.page, "Ready?");
    await expect(messageWith(ben.page, "Ready?")).toBeVisible();
    await connectedCall(ana, ben, false);

    // Each end's offer waits until both ends have sent one: a collision.
    anaGate.hold();
    benGate.hold();
    await callScreen(ana.page, "Outgoing voice call")
      .getByRole("button", { name: "Turn on video" })
      .click();
    await callScreen(ben.page, "Incoming voice call")
      .getByRole("button", { name: "Turn on video" })
      .click();
    await expect.poll(() => anaGate.offersSent()).toBeGreaterThan(0);
    await expect.poll(() => benGate.offersSent()).toBeGreaterThan(0);
    anaGate.release();
    benGate.release();

    await expectMediaFlowing(ana.page, { video: true });
    await expectMediaFlowing(ben.page, { video: true });
  });

  test("online event restarts ICE", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await connectedCall(ana, ben, true);
    const anaBefore = await iceUfrags(ana.page);
    const benBefore = await iceUfrags(ben.page);
    expect(anaBefore.local).not.toBeNull();
    expect(benBefore.local).not.toBeNull();
    expect(anaBefore.remote).toBe(benBefore.local);
    expect(benBefore.remote).toBe(anaBefore.local);

    // Loopback cannot be cut, so the test fires the event that the engine
    // restarts on when the network comes back. Ana's device is the
    // impolite end, which restarts at once. Chromium may keep sending media
    // through a port of the old ICE generation, so the test checks the
    // descriptions and the frames, not the selected candidate pair.
    await ana.page.evaluate(() => window.dispatchEvent(new Event("online")));

    for (const [page, before] of [
      [ana.page, anaBefore],
      [ben.page, benBefore],
    ] as const) {
      for (const key of ["local", "remote"] as const) {
        await expect
          .poll(
            async () => {
              const ufrag = (await iceUfrags(page))[key];
              return ufrag !== null && ufrag !== before[key];
            },
            { message: `${key} ufrag changes from ${before[key]}` },
          )
          .toBe(true);
      }
    }
    const anaAfter = await iceUfrags(ana.page);
    const benAfter = await iceUfrags(ben.page);
    expect(anaAfter.remote).toBe(benAfter.local);
    expect(benAfter.remote).toBe(anaAfter.local);

    const anaFrames = (await mediaCounters(ana.page)).framesDecoded;
    const benFrames = (await mediaCounters(ben.page)).framesDecoded;
    await expectCounterAbove(ana.page, "framesDecoded", anaFrames);
    await expectCounterAbove(ben.page, "framesDecoded", benFrames);
  });

  test("reload during a call ends it", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    await connectedCall(ana, ben, false);
    await ana.page.reload();
    await expect(
      callScreen(ben.page, "Incoming voice call").getByRole("status"),
    ).toHaveText(/^Call ended \d\d:\d\d$/);
    await expect(callScreen(ana.page, /call$/)).toHaveCount(0);
    await expect(
      callEntry(ana.page, /^Outgoing voice call · \d+:\d\d$/),
    ).toBeVisible();
    await expect(
      callEntry(ben.page, /^Incoming voice call · \d+:\d\d$/),
    ).toBeVisible();
  });

  test("second caller gets busy", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    const cara = await newPerson("Cara");
    await openDirectChat(cara.page, ana.phone);
    await connectedCall(ana, ben, false);

    await startCall(cara.page, false);
    await expect(
      callScreen(cara.page, "Outgoing voice call").getByRole("status"),
    ).toHaveText("Busy");
    await expect(
      callEntry(cara.page, "Outgoing voice call · Busy"),
    ).toBeVisible();
    // Ana's call goes on.
    await expect(
      callScreen(ana.page, "Outgoing voice call").getByRole("button", {
        name: "End call",
      }),
    ).toBeVisible();
    const received = (await mediaCounters(ana.page)).audioPacketsReceived;
    await expectCounterAbove(ana.page, "audioPacketsReceived", received);
  });

  test("answer on one device stops others", async ({
    newPerson,
    newDevice,
  }) => {
    const { ana, ben } = await callPair(newPerson);
    const benLaptop = await newDevice(ben);
    await startCall(ana.page, false);
    const ringing = callScreen(ben.page, "Incoming voice call");
    const ringingLaptop = callScreen(benLaptop, "Incoming voice call");
    await expect(ringing).toBeVisible();
    await expect(ringingLaptop).toBeVisible();
    await ringing.getByRole("button", { name: "Accept" }).click();
    await expect(ringingLaptop).toHaveCount(0);
    await expectMediaFlowing(ana.page, { video: false });
    await expectMediaFlowing(ben.page, { video: false });
  });

  test("notification answer link accepts", async ({ newPerson }) => {
    const { ana, ben } = await callPair(newPerson);
    const chatUrl = new URL(ben.page.url());
    await ben.page.close();
    const callId = new Promise<string>((resolve) => {
      ana.page.on("websocket", (socket) => {
        socket.on("framesent", ({ payload }) => {
          const frame = JSON.parse(String(payload)) as {
            type?: string;
            callId?: string;
          };
          if (frame.type === "call.start" && frame.callId !== undefined) {
            resolve(frame.callId);
          }
        });
      });
    });
    // The socket opened before the listener, so reconnect it.
    await ana.page.reload();
    await startCall(ana.page, true);

    const page = await ben.context.newPage();
    await page.goto(`${chatUrl.pathname}?call=${await callId}`);
    await expectMediaFlowing(page, { video: true });
    await expectMediaFlowing(ana.page, { video: true });
    await expect(page).toHaveURL(chatUrl.pathname);
  });
});
