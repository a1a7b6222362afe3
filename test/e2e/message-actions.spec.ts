import {
  chooseAction,
  composer,
  directPair,
  expect,
  messageText,
  messageWith,
  sendText,
  strangerName,
  test,
} from "./helpers.ts";

test("reply quotes the original message", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ana.page, "Dinner at eight?");
  const question = messageWith(ben.page, "Dinner at eight?");
  await expect(question).toBeVisible();

  await chooseAction(ben.page, question, "Reply");
  const replying = ben.page.getByText(`Replying to ${strangerName(ana)}`);
  await expect(replying).toBeVisible();
  await sendText(ben.page, "Yes, see you there");
  await expect(replying).toHaveCount(0);

  const answer = messageWith(ana.page, "Yes, see you there");
  await expect(answer).toBeVisible();
  await expect(answer).toContainText("Dinner at eight?");
});

test("reaction count shows for the author", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ana.page, "Passed the exam");
  const news = messageWith(ben.page, "Passed the exam");
  await expect(news).toBeVisible();

  await chooseAction(ben.page, news, "React");
  await ben.page.getByRole("button", { name: "👍", exact: true }).click();
  await expect(news.getByRole("button", { name: "👍 1" })).toBeVisible();
  await expect(
    messageWith(ana.page, "Passed the exam").getByRole("button", {
      name: "👍 1",
    }),
  ).toBeVisible();

  // Picking the same emoji again removes the reaction on both sides.
  await chooseAction(ben.page, news, "React");
  await ben.page.getByRole("button", { name: "👍", exact: true }).click();
  await expect(news.getByRole("button", { name: "👍 1" })).toHaveCount(0);
  await expect(
    messageWith(ana.page, "Passed the exam").getByRole("button", {
      name: "👍 1",
    }),
  ).toHaveCount(0);
});

test("edit shows the new text as edited", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ana.page, "Meet at the statoin");
  const typo = messageWith(ana.page, "Meet at the statoin");
  await expect(messageWith(ben.page, "Meet at the statoin")).toBeVisible();

  await chooseAction(ana.page, typo, "Edit");
  await expect(ana.page.getByText("Editing message")).toBeVisible();
  await expect(composer(ana.page)).toHaveValue("Meet at the statoin");
  await sendText(ana.page, "Meet at the station");

  for (const page of [ana.page, ben.page]) {
    const edited = messageWith(page, "Meet at the station");
    await expect(edited).toBeVisible();
    await expect(edited).toContainText("edited");
    await expect(messageWith(page, "statoin")).toHaveCount(0);
  }
});

test("delete for everyone clears both sides", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ana.page, "Wrong chat, sorry");
  await expect(messageWith(ben.page, "Wrong chat, sorry")).toBeVisible();

  await chooseAction(
    ana.page,
    messageWith(ana.page, "Wrong chat, sorry"),
    "Delete for everyone",
  );
  for (const page of [ana.page, ben.page]) {
    await expect(messageWith(page, "This message was deleted")).toHaveCount(1);
    await expect(messageWith(page, "Wrong chat, sorry")).toHaveCount(0);
  }
});

test("copy puts the text on the clipboard", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const text = "Door code 4711, second floor";
  await sendText(ben.page, text);
  const received = messageWith(ana.page, text);
  await expect(received).toBeVisible();

  await chooseAction(ana.page, received, "Copy");
  await expect
    .poll(() => ana.page.evaluate(() => navigator.clipboard.readText()))
    .toBe(text);
  await expect(messageText(received)).toHaveText(text);
});
