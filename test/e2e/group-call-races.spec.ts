// Group calls under races and bad luck: two members starting at once,
// leaving while the camera opens, a second tab of the same browser, a
// device offline for 10 s and for 40 s, a member removed mid-call, and a
// rejoin after the call ended.
import { callScreen, watchMedia } from "./call-steps.ts";
import {
  decodingVideoTracks,
  expectVideoFrom,
  grid,
  groupOfThree,
  tileOf,
} from "./group-call-steps.ts";
import { chatHeader, expect, openChat, test } from "./helpers.ts";
import { createGroup, removeFromGroup } from "./steps.ts";

test("two members starting at once share one call", async ({ newPerson }) => {
  test.setTimeout(180_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  for (const person of [ana, ben]) await watchMedia(person);
  await createGroup(ana, "Trip", [ben]);
  await openChat(ben.page, "Trip");

  // Both click before either device has heard of the other's call.
  await Promise.all(
    [ana, ben].map((person) =>
      chatHeader(person.page)
        .getByRole("button", { name: "Start video call" })
        .click(),
    ),
  );

  for (const person of [ana, ben]) {
    await expect(grid(person.page).getByRole("listitem")).toHaveCount(2);
    await expect(
      callScreen(person.page, "Group video call").getByRole("status"),
    ).toContainText("2 participants");
  }
  for (const person of [ana, ben]) await expectVideoFrom(person.page, 1);
  // The keys come from the call both joined, not the id one requested.
  const codes = [ana, ben].map((person) =>
    callScreen(person.page, "Group video call").getByLabel("Verification code"),
  );
  await expect(codes[0]!).toHaveText(/^\d{4} \d{4} \d{4} \d{4}$/);
  await expect(codes[1]!).toHaveText((await codes[0]!.textContent()) ?? "");
});

test("leaving while joining releases the camera", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await createGroup(ana, "Trip", [ben]);
  // The camera opens slowly, so Leave comes before it is open.
  await ana.context.addInitScript(() => {
    const devices = navigator.mediaDevices;
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = async (constraints) => {
      await new Promise((wake) => setTimeout(wake, 2_000));
      return getUserMedia(constraints);
    };
  });
  await watchMedia(ana);
  await openChat(ana.page, "Trip");

  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  const screen = callScreen(ana.page, "Group video call");
  await expect(screen.getByRole("status")).toContainText("Joining");
  await screen.getByRole("button", { name: "Leave" }).click();
  await expect(screen).toHaveCount(0);

  await expect
    .poll(() => ana.page.evaluate(() => window.testMediaTracks?.length ?? 0), {
      message: "the camera and microphone opened",
    })
    .toBeGreaterThan(0);
  await expect
    .poll(
      () =>
        ana.page.evaluate(() =>
          (window.testMediaTracks ?? []).map((track) => track.readyState),
        ),
      { message: "states of the opened tracks" },
    )
    .not.toContain("live");
});

test("second tab cannot join the same call", async ({ newPerson }) => {
  test.setTimeout(180_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  for (const person of [ana, ben]) await watchMedia(person);
  await createGroup(ana, "Trip", [ben]);
  await openChat(ben.page, "Trip");
  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  await callScreen(ben.page, "Incoming group video call")
    .getByRole("button", { name: "Join" })
    .click();
  for (const person of [ana, ben]) await expectVideoFrom(person.page, 1);

  // Ana's second tab is the same device to the server.
  const second = await ana.context.newPage();
  await second.goto("/");
  await openChat(second, "Trip");
  const banner = second.getByRole("region", { name: "Group call" });
  await banner.getByRole("button", { name: "Join" }).click();
  await expect(second.getByRole("alert")).toContainText("another tab");
  await expect(callScreen(second, "Group video call")).toHaveCount(0);

  // The first tab keeps its media both ways.
  await second.waitForTimeout(3_000);
  for (const person of [ana, ben]) await expectVideoFrom(person.page, 1);
});

test("device offline 10 s and 40 s rejoins", async ({ newPerson }) => {
  test.setTimeout(300_000);
  const people = await groupOfThree(newPerson);
  const [ana, ben, cleo] = people;
  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  for (const person of [ben, cleo]) {
    await callScreen(person.page, "Incoming group video call")
      .getByRole("button", { name: "Join" })
      .click();
  }
  for (const person of people) await expectVideoFrom(person.page, 2);

  // 10 s offline stays under the reconnecting limit: Ben keeps his tile.
  await ben.context.setOffline(true);
  await ben.page.waitForTimeout(10_000);
  await ben.context.setOffline(false);
  await expect(grid(ana.page).getByRole("listitem")).toHaveCount(3);
  await expect(tileOf(ana.page, "Ben").getByRole("status")).toHaveCount(0);

  // 40 s offline passes the drop limit: the room removes Ben, and his
  // device joins again once online and sends its media anew.
  await ben.context.setOffline(true);
  await expect(tileOf(ana.page, "Ben")).toHaveCount(0, { timeout: 45_000 });
  await ben.page.waitForTimeout(5_000);
  await ben.context.setOffline(false);
  for (const page of [ana.page, cleo.page]) {
    await expect(grid(page).getByRole("listitem")).toHaveCount(3, {
      timeout: 30_000,
    });
  }
  for (const person of people) await expectVideoFrom(person.page, 2);
});

test("removed member stops receiving media", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const [ana, ben, cleo] = await groupOfThree(newPerson);
  // Cleo's app ignores the end of the call, as a modified client would.
  await cleo.page.routeWebSocket(/\/api\/ws$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (!String(message).includes('"type":"groupcall.ended"')) {
        socket.send(message);
      }
    });
  });
  await cleo.page.reload();
  await openChat(cleo.page, "Trip");

  await chatHeader(ben.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  await callScreen(cleo.page, "Incoming group video call")
    .getByRole("button", { name: "Join" })
    .click();
  await callScreen(ana.page, "Incoming group video call")
    .getByRole("button", { name: "Decline" })
    .click();
  for (const person of [ben, cleo]) await expectVideoFrom(person.page, 1);

  await removeFromGroup(ana.page, cleo);

  await expect(grid(ben.page).getByRole("listitem")).toHaveCount(1);
  await expect
    .poll(() => decodingVideoTracks(cleo.page), {
      message: "video tracks the removed member still decodes",
      timeout: 20_000,
    })
    .toBe(0);
});

test("rejoin after the call ended says so", async ({ newPerson }) => {
  test.setTimeout(180_000);
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await watchMedia(ana);
  await createGroup(ana, "Trip", [ben]);
  await openChat(ben.page, "Trip");
  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  await callScreen(ben.page, "Incoming group video call")
    .getByRole("button", { name: "Decline" })
    .click();
  const banner = ben.page.getByRole("region", { name: "Group call" });
  await expect(banner).toContainText("1 joined");

  // Ana, alone in the call, is offline past the drop limit, so the room
  // drops her and the call ends. Her tab rejoins once back online.
  await ana.context.setOffline(true);
  await expect(banner).toHaveCount(0, { timeout: 60_000 });
  await ana.context.setOffline(false);

  await expect(
    callScreen(ana.page, "Group video call").getByRole("status"),
  ).toHaveText("This call has ended.", { timeout: 30_000 });
});
