import {
  composer,
  directPair,
  expect,
  messageText,
  messageWith,
  sendText,
  test,
} from "./helpers.ts";

test("Hebrew and emoji arrive intact", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const hebrew = "שלום, מה שלומך?";
  const emoji = "Family 👨‍👩‍👧‍👦 waves 👋🏽 from 🇩🇪";
  await sendText(ana.page, hebrew);
  await sendText(ana.page, emoji);

  for (const text of [hebrew, emoji]) {
    const received = messageText(messageWith(ben.page, text));
    await expect(received).toHaveText(text);
    await expect(received).toHaveAttribute("dir", "auto");
  }
});

test("links are safe and markup stays text", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const url = "https://example.com/path?q=1&r=2";
  await sendText(ana.page, `Look at ${url} today`);
  await sendText(ana.page, "<script>window.injected = 1</script><b>bold</b>");
  await sendText(ana.page, "Not a link: javascript:alert(1)");

  const withLink = messageWith(ben.page, "Look at");
  const link = withLink.getByRole("link", { name: url });
  await expect(link).toHaveAttribute("href", url);
  await expect(link).toHaveAttribute("target", "_blank");
  const rel = (await link.getAttribute("rel")) ?? "";
  expect(rel.split(/\s+/)).toEqual(
    expect.arrayContaining(["noopener", "noreferrer"]),
  );

  const markup = messageWith(ben.page, "<script>");
  await expect(messageText(markup)).toHaveText(
    "<script>window.injected = 1</script><b>bold</b>",
  );
  await expect(markup.locator("script, b")).toHaveCount(0);
  expect(
    await ben.page.evaluate(
      () => (window as unknown as { injected?: number }).injected,
    ),
  ).toBeUndefined();

  const notLink = messageWith(ben.page, "Not a link");
  await expect(notLink).toBeVisible();
  await expect(notLink.getByRole("link")).toHaveCount(0);
});

test("Enter sends and Shift+Enter adds newline", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const box = composer(ana.page);
  await box.click();
  await box.pressSequentially("First line");
  await box.press("Shift+Enter");
  await box.pressSequentially("second line");
  await expect(box).toHaveValue("First line\nsecond line");
  await box.press("Enter");
  await expect(box).toHaveValue("");

  const received = messageText(messageWith(ben.page, "First line"));
  await expect(received).toBeVisible();
  expect(await received.textContent()).toBe("First line\nsecond line");
  // The newline shows as a line break: the text is two lines tall.
  const oneLine = messageText(messageWith(ben.page, "Hi Ben"));
  const oneLineHeight = (await oneLine.boundingBox())?.height ?? Number.NaN;
  const twoLineHeight = (await received.boundingBox())?.height ?? Number.NaN;
  expect(oneLineHeight).toBeGreaterThan(0);
  expect(twoLineHeight).toBeGreaterThan(oneLineHeight * 1.5);
});
