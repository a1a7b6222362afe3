import { expect, requestCode, test, uniquePhone } from "./helpers.ts";

test("invalid phone number is named", async ({ page }) => {
  await page.goto("/");
  await page.getByRole("textbox", { name: "Phone number" }).fill("+49 12");
  await page.getByRole("button", { name: "Send code" }).click();
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("not a valid phone number");
  await expect(
    page.getByRole("textbox", { name: "Verification code" }),
  ).toHaveCount(0);
});

test("wrong code shows attempts left", async ({ page }) => {
  const phone = uniquePhone();
  await page.goto("/");
  const code = await requestCode(page, phone);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");

  const codeBox = page.getByRole("textbox", { name: "Verification code" });
  await codeBox.fill(wrong);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("alert")).toContainText(/4 attempts? left/);

  // The right code still works after a wrong one.
  await codeBox.fill(code);
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page.getByRole("textbox", { name: "Your name" })).toBeVisible();
});
