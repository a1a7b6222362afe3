// Group call media beyond the camera: screen sharing, the active speaker
// highlight, the message of a full call, and the handling of SFU errors,
// which the shared local SFU injects through its fault routes.
import type { Page } from "@playwright/test";
import { callScreen } from "./call-steps.ts";
import { createGroup } from "./steps.ts";
import {
  expectVideoFrom,
  grid,
  groupOfThree,
  tileOf,
} from "./group-call-steps.ts";
import { chatHeader, expect, openChat, test, type Person } from "./helpers.ts";
import {
  clearSfuFaults,
  injectSfuFault,
  remainingSfuFaults,
} from "./sfu-server.ts";

test.afterEach(async () => {
  await clearSfuFaults();
});

function controls(page: Page) {
  return callScreen(page, "Group video call").getByRole("toolbar", {
    name: "Call controls",
  });
}

/** Starts Ana's video call and joins Ben and Cleo from their banners. */
async function callOfThree(people: Person[]): Promise<void> {
  const [ana, ...others] = people;
  await chatHeader(ana!.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  for (const person of others) {
    const ring = callScreen(person.page, "Incoming group video call");
    await ring.getByRole("button", { name: "Join" }).click();
  }
  for (const person of people) {
    await expect(grid(person.page).getByRole("listitem")).toHaveCount(
      people.length,
    );
  }
}

/**
 * Returns the id of the track that the video element of `name`'s tile
 * shows, and how many frames it has played.
 */
async function tileVideo(
  page: Page,
  name: string,
): Promise<{ trackId: string; frames: number }> {
  return tileOf(page, name)
    .locator("video")
    .evaluate((video: HTMLVideoElement) => {
      const stream = video.srcObject as MediaStream | null;
      return {
        trackId: stream?.getVideoTracks()[0]?.id ?? "",
        frames: video.getVideoPlaybackQuality().totalVideoFrames,
      };
    });
}

/**
 * Waits until `name`'s tile plays frames of a track that passes `check`,
 * and returns that track's id.
 */
async function expectTilePlaying(
  page: Page,
  name: string,
  check: (trackId: string) => boolean,
): Promise<string> {
  let trackId = "";
  await expect
    .poll(
      async () => {
        const before = await tileVideo(page, name);
        await page.waitForTimeout(500);
        const after = await tileVideo(page, name);
        trackId = after.trackId;
        return (
          check(after.trackId) &&
          after.trackId === before.trackId &&
          after.frames > before.frames
        );
      },
      {
        message: `the tile of ${name} plays the expected track`,
        timeout: 30_000,
      },
    )
    .toBe(true);
  return trackId;
}

test("screen share reaches the others and stops", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const people = await groupOfThree(newPerson);
  const [ana, ben, cleo] = people;
  await callOfThree(people);
  for (const person of people) await expectVideoFrom(person.page, 2);
  const cameras = new Map<Page, string>();
  for (const page of [ben.page, cleo.page]) {
    cameras.set(page, await expectTilePlaying(page, "Ana", (id) => id !== ""));
  }

  await controls(ana.page)
    .getByRole("button", { name: "Share screen" })
    .click();
  await expect(
    controls(ana.page).getByRole("button", { name: "Stop sharing" }),
  ).toBeVisible();
  for (const page of [ben.page, cleo.page]) {
    // Ana's camera and screen, and the third person's camera.
    await expectVideoFrom(page, 3);
    await expectTilePlaying(page, "Ana", (id) => id !== cameras.get(page));
  }

  await controls(ana.page)
    .getByRole("button", { name: "Stop sharing" })
    .click();
  for (const page of [ben.page, cleo.page]) {
    await expectVideoFrom(page, 2);
    await expectTilePlaying(page, "Ana", (id) => id === cameras.get(page));
  }
});

/** Waits until `name`'s tile on `page` is highlighted as speaking. */
async function expectSpeaking(page: Page, name: string): Promise<void> {
  await expect
    .poll(() => tileOf(page, name).getAttribute("data-speaking"), {
      message: `the tile of ${name} highlighted as speaking`,
      intervals: [100],
      timeout: 20_000,
    })
    .toBe("true");
}

/**
 * Samples the highlight on `page` for `ms` and returns the names of the
 * tiles that had it.
 */
async function highlightedNames(page: Page, ms: number): Promise<Set<string>> {
  const names = new Set<string>();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const speaking = grid(page).locator('[data-speaking="true"]');
    for (const label of await speaking.evaluateAll((tiles) =>
      tiles.map((tile) => tile.getAttribute("aria-label") ?? ""),
    )) {
      names.add(label);
    }
    await page.waitForTimeout(100);
  }
  return names;
}

test("speaker highlight follows the open mic", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const people = await groupOfThree(newPerson);
  const [ana, ben, cleo] = people;
  await callOfThree(people);
  for (const person of people) await expectVideoFrom(person.page, 2);

  // Only Ana's microphone is on: Ben and Cleo see her tile highlighted,
  // and nobody else's.
  for (const page of [ben.page, cleo.page]) {
    await controls(page).getByRole("button", { name: "Mute" }).click();
  }
  for (const page of [ben.page, cleo.page]) {
    await expectSpeaking(page, "Ana");
  }
  // Audio levels are averaged over a short window, so the sound from
  // before the mutes may still count for a moment. The highlight may also
  // pause between the fake microphone's beeps, so the samples check only
  // that no other tile lights up.
  await cleo.page.waitForTimeout(2_000);
  const whileAnaSpeaks = [...(await highlightedNames(cleo.page, 3_000))];
  expect(whileAnaSpeaks.filter((name) => !name.includes("Ana"))).toEqual([]);

  // Ana mutes and Ben speaks: the highlight moves to Ben.
  await controls(ana.page).getByRole("button", { name: "Mute" }).click();
  await controls(ben.page).getByRole("button", { name: "Unmute" }).click();
  for (const page of [ana.page, cleo.page]) {
    await expectSpeaking(page, "Ben");
  }
  // Audio levels are averaged over a short window, so Ana's last sound
  // may still count for a moment after the change.
  await cleo.page.waitForTimeout(2_000);
  const whileBenSpeaks = [...(await highlightedNames(cleo.page, 3_000))];
  expect(whileBenSpeaks.filter((name) => !name.includes("Ben"))).toEqual([]);
});

test("full call shows why it cannot be joined", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  await createGroup(ana, "Trip", [ben]);
  // The server's reply when a call has MAX_GROUP_CALL_PARTICIPANTS;
  // the workers tests check that the 33rd device gets it.
  const full =
    "This call is full: it has 32 participants, the most one call holds.";
  await ana.page.routeWebSocket(/\/api\/ws$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => {
      const frame = JSON.parse(String(message)) as {
        type: string;
        rid?: string;
      };
      if (frame.type !== "groupcall.join") {
        server.send(message);
        return;
      }
      socket.send(
        JSON.stringify({
          type: "error",
          rid: frame.rid,
          error: { code: "conflict", message: full },
        }),
      );
    });
    server.onMessage((message) => socket.send(message));
  });
  await ana.page.reload();
  await openChat(ana.page, "Trip");

  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();

  const screen = callScreen(ana.page, "Group video call");
  await expect(screen.getByRole("status")).toHaveText(full);
  await expect(screen).toHaveCount(0, { timeout: 10_000 });
});

test("SFU errors are retried and media recovers", async ({ newPerson }) => {
  test.setTimeout(300_000);
  const people = await groupOfThree(newPerson);
  const [ana, ben, cleo] = people;

  // Rate limited: the first pull gets a 429, which waits its Retry-After.
  await injectSfuFault({
    action: "tracks/new",
    location: "remote",
    status: 429,
    errorCode: "rate_limited",
    errorDescription: "Too many requests.",
    retryAfterSeconds: 1,
  });
  await callOfThree(people);
  for (const person of people) await expectVideoFrom(person.page, 2);
  expect(await remainingSfuFaults()).toEqual([0]);
  for (const person of people) {
    await expect(
      callScreen(person.page, "Group video call").getByRole("alert"),
    ).toHaveCount(0);
  }
  await clearSfuFaults();

  // Track not found: the SFU replies to the pull of Ana's screen with an
  // error in the track's entry twice. The pullers retry until it works.
  await injectSfuFault({
    action: "tracks/new",
    location: "remote",
    errorCode: "not_found",
    errorDescription: "The track is not published yet.",
    perTrack: true,
    times: 2,
  });
  await controls(ana.page)
    .getByRole("button", { name: "Share screen" })
    .click();
  for (const page of [ben.page, cleo.page]) await expectVideoFrom(page, 3);
  expect(await remainingSfuFaults()).toEqual([0]);
  await clearSfuFaults();
  await controls(ana.page)
    .getByRole("button", { name: "Stop sharing" })
    .click();
  for (const page of [ben.page, cleo.page]) await expectVideoFrom(page, 2);

  // Session gone: the next pull gets 404 session_not_found. The puller
  // opens a new session and receives everyone again.
  await injectSfuFault({
    action: "tracks/new",
    location: "remote",
    status: 404,
    errorCode: "session_not_found",
    errorDescription: "The session does not exist or has been closed.",
  });
  await controls(ana.page)
    .getByRole("button", { name: "Share screen" })
    .click();
  await expect
    .poll(remainingSfuFaults, { message: "the fault was applied" })
    .toEqual([0]);
  for (const person of people)
    await expectVideoFrom(person.page, person === ana ? 2 : 3);
  for (const person of people) {
    await expect(
      callScreen(person.page, "Group video call").getByRole("alert"),
    ).toHaveCount(0);
  }
});
