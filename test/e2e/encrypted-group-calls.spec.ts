// End-to-end encrypted group calls through the local SFU. The global setup
// starts the SFU with its payload check, which reads the SFrame header of
// every forwarded VP8 frame, so the first test checks what the SFU could
// read. The others change the chat's MLS group during a call.
import { callScreen } from "./call-steps.ts";
import {
  codeOf,
  encryptedGroupOfThree,
  expectOneCode,
  expectVideoFrom,
  grid,
  expectSframeTracks,
  payloadReport,
  tileOf,
} from "./group-call-steps.ts";
import {
  chatHeader,
  expect,
  openChat,
  sendText,
  test,
  type Person,
} from "./helpers.ts";
import { addMember } from "./steps.ts";

test("encrypted group call hides frames from the SFU", async ({
  newPerson,
}) => {
  test.setTimeout(240_000);
  const [ana, ben, cleo] = await encryptedGroupOfThree(newPerson);
  const before = new Set(
    (await payloadReport()).map((track) => track.sessionId),
  );

  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  await expect(tileOf(ana.page, "You")).toBeVisible();
  // Ben joins before Cleo, so that Ana and Cleo alone are a participant
  // list that no generation had before Ben leaves.
  for (const [person, count] of [
    [ben, 2],
    [cleo, 3],
  ] as const) {
    const ringing = callScreen(person.page, "Incoming group video call");
    await ringing.getByRole("button", { name: "Join" }).click();
    await expect(grid(ana.page).getByRole("listitem")).toHaveCount(count);
  }
  for (const person of [ana, ben, cleo]) {
    await expect(grid(person.page).getByRole("listitem")).toHaveCount(3);
  }
  for (const person of [ana, ben, cleo]) await expectVideoFrom(person.page, 2);
  const firstCode = await expectOneCode([ana.page, ben.page, cleo.page]);
  expect(firstCode).not.toBe("");

  const tracks = await expectSframeTracks(before);

  // Ben leaves: Ana and Cleo draw new keys, sealed to each other only,
  // and still decode each other.
  await callScreen(ben.page, "Group video call")
    .getByRole("button", { name: "Leave" })
    .click();
  for (const page of [ana.page, cleo.page]) {
    await expect(grid(page).getByRole("listitem")).toHaveCount(2);
  }
  const kidsBefore = new Map(
    tracks.map((track) => [track.sessionId, track.kids]),
  );
  await expect
    .poll(
      async () =>
        (await payloadReport()).filter(
          (track) =>
            kidsBefore.has(track.sessionId) &&
            track.kids > (kidsBefore.get(track.sessionId) ?? 0),
        ).length,
      { message: "video tracks that moved to a new KID", timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(2);
  for (const page of [ana.page, cleo.page]) await expectVideoFrom(page, 1);
  const codeOfTwo = await expectOneCode([ana.page, cleo.page]);
  expect(codeOfTwo).not.toBe(firstCode);
  for (const page of [ana.page, cleo.page]) {
    await expect(
      grid(page).getByRole("status").filter({ hasText: "Waiting for keys" }),
    ).toHaveCount(0);
  }

  // Ben joins again from the chat's banner, with a new call key: every
  // participant draws a new key for three, sealed to Ben too.
  await ben.page
    .getByRole("region", { name: "Group call" })
    .getByRole("button", { name: "Join" })
    .click();
  for (const person of [ana, ben, cleo]) {
    await expect(grid(person.page).getByRole("listitem")).toHaveCount(3);
  }
  for (const person of [ana, ben, cleo]) await expectVideoFrom(person.page, 2);
  const rejoinedCode = await expectOneCode([ana.page, ben.page, cleo.page]);
  expect(rejoinedCode).not.toBe(firstCode);
  for (const person of [ana, ben, cleo]) {
    await expect(
      grid(person.page)
        .getByRole("status")
        .filter({ hasText: "Waiting for keys" }),
    ).toHaveCount(0);
  }
});

/**
 * Makes `person`'s app hold back the MLS commits that the server sends
 * while `held()` is true, as a slow or lossy link would. Reloads the page
 * so that its socket goes through the route, and reopens the group.
 */
async function holdCommits(person: Person, held: () => boolean) {
  await person.page.routeWebSocket(/\/api\/ws$/, (socket) => {
    const server = socket.connectToServer();
    socket.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (held() && String(message).includes('"kind":"commit"')) return;
      socket.send(message);
    });
  });
  await person.page.reload();
  await openChat(person.page, "Trip");
}

/**
 * Ben starts a video call in "Trip" and Cleo joins, while Ana declines
 * and keeps the chat open to change the group. Returns the call's code.
 */
async function callOfBenAndCleo(ana: Person, ben: Person, cleo: Person) {
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
  return expectOneCode([ben.page, cleo.page]);
}

test("member added mid-call keeps video decoding", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const [ana, ben, cleo] = await encryptedGroupOfThree(newPerson);
  const dan = await newPerson("Dan");
  const firstCode = await callOfBenAndCleo(ana, ben, cleo);

  // Adding Dan takes the chat's MLS group to a new epoch, from which the
  // call derives new keys on both screens.
  await addMember(ana.page, dan.phone, 3);
  await sendText(ana.page, "Dan is in");
  for (const page of [ben.page, cleo.page]) {
    await expect(codeOf(page)).not.toHaveText(firstCode, { timeout: 30_000 });
  }
  await expectOneCode([ben.page, cleo.page]);
  for (const person of [ben, cleo]) await expectVideoFrom(person.page, 1);
  for (const person of [ben, cleo]) {
    await expect(
      grid(person.page)
        .getByRole("status")
        .filter({ hasText: "Waiting for keys" }),
    ).toHaveCount(0);
  }
});

test("late keys show waiting, then decode", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const [ana, ben, cleo] = await encryptedGroupOfThree(newPerson);
  const dan = await newPerson("Dan");
  let held = true;
  await holdCommits(cleo, () => held);
  const firstCode = await callOfBenAndCleo(ana, ben, cleo);

  // Ben moves to the new epoch's keys; Cleo lacks the commit for them.
  await addMember(ana.page, dan.phone, 3);
  await sendText(ana.page, "Dan is in");
  await expect(codeOf(ben.page)).not.toHaveText(firstCode, {
    timeout: 30_000,
  });
  await expect(tileOf(cleo.page, "Ben").getByRole("status")).toHaveText(
    "Waiting for keys…",
  );
  await expect(codeOf(cleo.page)).toHaveText(firstCode);

  // The commit arrives: Cleo catches up and both decode again.
  held = false;
  await expect(tileOf(cleo.page, "Ben").getByRole("status")).toHaveCount(0, {
    timeout: 30_000,
  });
  await expectOneCode([ben.page, cleo.page]);
  for (const person of [ben, cleo]) await expectVideoFrom(person.page, 1);
});
