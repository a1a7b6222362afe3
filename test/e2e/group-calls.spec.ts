// Group calls through the local SFU: three people in a group publish their
// fake cameras and microphones through the Worker's proxy and decode each
// other's video. The global setup starts the SFU and points the server at
// it.
import {
  callEntry,
  callScreen,
  expectVideoFrom,
  grid,
  tileOf,
  watchMedia,
} from "./call-steps.ts";
import { createGroup } from "./steps.ts";
import {
  chatHeader,
  expect,
  messageLog,
  openChat,
  test,
  type Person,
} from "./helpers.ts";

/** Signs up Ana, Ben and Cleo with their group "Trip" open. */
async function groupOfThree(
  newPerson: (name: string) => Promise<Person>,
): Promise<[Person, Person, Person]> {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  for (const person of [ana, ben, cleo]) await watchMedia(person);
  await createGroup(ana, "Trip", [ben, cleo]);
  await openChat(ben.page, "Trip");
  await openChat(cleo.page, "Trip");
  return [ana, ben, cleo];
}

test("group video call connects three people", async ({ newPerson }) => {
  test.setTimeout(240_000);
  const [ana, ben, cleo] = await groupOfThree(newPerson);

  // Ana starts the call; Ben joins from the ring screen.
  await chatHeader(ana.page)
    .getByRole("button", { name: "Start video call" })
    .click();
  await expect(tileOf(ana.page, "You")).toBeVisible();
  const ringing = callScreen(ben.page, "Incoming group video call");
  await expect(ringing).toContainText("Ana");
  await ringing.getByRole("button", { name: "Join" }).click();

  // Cleo declines the ring, then joins from the chat's banner.
  const cleoRing = callScreen(cleo.page, "Incoming group video call");
  await cleoRing.getByRole("button", { name: "Decline" }).click();
  await expect(cleoRing).toHaveCount(0);
  const banner = cleo.page.getByRole("region", { name: "Group call" });
  await expect(banner).toContainText("Call in progress · 2 joined");
  await banner.getByRole("button", { name: "Join" }).click();

  for (const person of [ana, ben, cleo]) {
    await expect(grid(person.page).getByRole("listitem")).toHaveCount(3);
  }
  for (const person of [ana, ben, cleo]) await expectVideoFrom(person.page, 2);

  // Ben mutes, and the others' tiles of Ben show it.
  await callScreen(ben.page, "Group video call")
    .getByRole("button", { name: "Mute" })
    .click();
  for (const page of [ana.page, cleo.page]) {
    await expect(
      tileOf(page, "Ben").getByRole("img", { name: "Microphone off" }),
    ).toBeVisible();
    await expect(
      tileOf(page, "Cleo|Ana").getByRole("img", { name: "Microphone off" }),
    ).toHaveCount(0);
  }

  // Ben reloads: his tab rejoins the call with a new SFU session, and the
  // media flows again both ways.
  await ben.page.reload();
  await expect(grid(ben.page).getByRole("listitem")).toHaveCount(3);
  await expectVideoFrom(ben.page, 2);
  await expect(grid(ana.page).getByRole("listitem")).toHaveCount(3);
  await expectVideoFrom(ana.page, 2);

  // Cleo leaves, and the others' grids drop her tile.
  await callScreen(cleo.page, "Group video call")
    .getByRole("button", { name: "Leave" })
    .click();
  await expect(callScreen(cleo.page, "Group video call")).toHaveCount(0);
  for (const page of [ana.page, ben.page]) {
    await expect(grid(page).getByRole("listitem")).toHaveCount(2);
    await expect(tileOf(page, "Cleo")).toHaveCount(0);
  }

  // The last two leave, which ends the call with an entry in the chat.
  for (const page of [ben.page, ana.page]) {
    await callScreen(page, "Group video call")
      .getByRole("button", { name: "Leave" })
      .click();
  }
  for (const person of [ana, ben, cleo]) {
    await expect(
      callEntry(person.page, /^Video call · \d+:\d\d · 3 people$/),
    ).toBeVisible({ timeout: 20_000 });
    await expect(messageLog(person.page)).toContainText("started a call");
    await expect(
      person.page.getByRole("region", { name: "Group call" }),
    ).toHaveCount(0);
  }
});
