import {
  composer,
  directPair,
  expect,
  messageLog,
  messageText,
  messageWith,
  sendText,
  test,
} from "./helpers.ts";

/** The message text limit of protocol/limits.ts: 64 KiB of UTF-8. */
const MAX_TEXT_BYTES = 64 * 1024;

/**
 * Returns text of exactly `bytes` bytes of UTF-8, mostly three-byte "€" so
 * that a limit counted in characters instead of bytes would show.
 */
function textOfBytes(bytes: number, marker: string): string {
  const euros = Math.floor((bytes - marker.length) / 3);
  const padding = "x".repeat(bytes - marker.length - euros * 3);
  return marker + "€".repeat(euros) + padding;
}

test("64 KiB message arrives intact", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const text = textOfBytes(MAX_TEXT_BYTES, "Longest ");
  expect(new TextEncoder().encode(text).length).toBe(MAX_TEXT_BYTES);

  await composer(ana.page).fill(text);
  await expect(ana.page.getByRole("alert")).toHaveCount(0);
  await ana.page.getByRole("button", { name: "Send", exact: true }).click();

  const received = messageWith(ben.page, "Longest ");
  await expect(received).toBeVisible();
  const receivedText = await messageText(received).textContent();
  expect(receivedText?.length).toBe(text.length);
  expect(receivedText === text, "received text equals the sent text").toBe(
    true,
  );
});

test("message over 64 KiB is not sent", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  const text = textOfBytes(MAX_TEXT_BYTES + 1, "Too long ");

  await composer(ana.page).fill(text);
  await expect(ana.page.getByRole("alert")).toContainText(
    "Message is too long",
  );
  await expect(
    ana.page.getByRole("button", { name: "Send", exact: true }),
  ).toBeDisabled();
  await composer(ana.page).press("Enter");

  // A short message afterwards proves the channel works and marks the point
  // by which a long message would have arrived.
  await composer(ana.page).fill("");
  await expect(ana.page.getByRole("alert")).toHaveCount(0);
  await sendText(ana.page, "Short one");
  await expect(messageWith(ben.page, "Short one")).toBeVisible();
  await expect(messageWith(ben.page, "Too long ")).toHaveCount(0);
  await expect(messageWith(ana.page, "Too long ")).toHaveCount(0);
  await expect(messageLog(ben.page).getByRole("article")).toHaveCount(2);
});
