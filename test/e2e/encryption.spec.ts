import {
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
} from "./helpers.ts";
import { downloadedBytes, sendFiles } from "./media-steps.ts";
import { addMember, createGroup } from "./steps.ts";
import { storedIn } from "./storage.ts";

/** Returns a text no other test sends, so a scan finds only this one. */
function unique(prefix: string): string {
  return `${prefix} ${crypto.randomUUID()}`;
}

test("direct chat stores no plaintext on the server", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const question = unique("Where do we meet");
  const answer = unique("At the station");

  await sendText(ana.page, question);
  await expect(messageWith(ben.page, question)).toBeVisible();
  await sendText(ben.page, answer);
  await expect(messageWith(ana.page, answer)).toBeVisible();

  // The scan finds what the server does store in plaintext, such as the
  // phone number of an account, so a miss means the text is not there.
  await expect.poll(() => storedIn(ana.phone).length).toBeGreaterThan(0);
  expect(storedIn(question), "files with the question").toEqual([]);
  expect(storedIn(answer), "files with the answer").toEqual([]);
});

test("sent file stores no plaintext on the server", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const name = `${unique("Salary review")}.txt`;
  // Random text that occurs nowhere else, so a hit in the scan can only
  // come from this file.
  const content = Buffer.from(
    Array.from({ length: 64 }, () => crypto.randomUUID()).join(" "),
    "utf8",
  );
  await sendFiles(ana.page, "Document", [
    { name, mimeType: "text/plain", buffer: content },
  ]);

  // Ben's download proves that the upload finished and reached storage.
  const received = messageWith(ben.page, name);
  await received.getByRole("button", { name: `Download ${name}` }).click();
  const downloading = ben.page.waitForEvent("download");
  await received.getByRole("button", { name: `Save ${name}` }).click();
  expect(await downloadedBytes(await downloading)).toEqual(content);

  await expect.poll(() => storedIn(ana.phone).length).toBeGreaterThan(0);
  expect(storedIn(name), "files with the file name").toEqual([]);
  expect(storedIn(content), "files with the whole content").toEqual([]);
  expect(
    storedIn(content.subarray(1000, 1064)),
    "files with 64 bytes of the content",
  ).toEqual([]);
});

test("group of three exchanges messages", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const cleo = await newPerson("Cleo");
  await createGroup(ana, "Trip", [ben, cleo]);
  await openChat(ben.page, "Trip");
  await openChat(cleo.page, "Trip");

  await sendText(ana.page, "Tickets are booked");
  await expect(messageWith(ben.page, "Tickets are booked")).toBeVisible();
  await expect(messageWith(cleo.page, "Tickets are booked")).toBeVisible();
  await sendText(cleo.page, "Thanks, Ana");
  await expect(messageWith(ana.page, "Thanks, Ana")).toBeVisible();
  await expect(messageWith(ben.page, "Thanks, Ana")).toBeVisible();
  await sendText(ben.page, "See you there");
  await expect(messageWith(ana.page, "See you there")).toBeVisible();
  await expect(messageWith(cleo.page, "See you there")).toBeVisible();
});

test("member added later reads new messages", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const ben = await newPerson("Ben");
  const dan = await newPerson("Dan");
  await createGroup(ana, "Trip", [ben]);
  await openChat(ben.page, "Trip");
  await sendText(ana.page, "Only for Ben");
  await expect(messageWith(ben.page, "Only for Ben")).toBeVisible();

  await addMember(ana.page, dan.phone, 2);
  await sendText(ana.page, "Dan is in");

  await openChat(dan.page, "Trip");
  await expect(messageWith(dan.page, "Dan is in")).toBeVisible();
  await expect(messageWith(ben.page, "Dan is in")).toBeVisible();
  await expect(messageLog(dan.page)).not.toContainText("mls1:");
  await sendText(dan.page, "Hello all");
  await expect(messageWith(ana.page, "Hello all")).toBeVisible();
  await expect(messageWith(ben.page, "Hello all")).toBeVisible();
});
