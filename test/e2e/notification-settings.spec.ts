import { expect, test } from "./helpers.ts";

test("failed subscribe explains itself", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  // With the permission granted, Chromium's subscribe still fails here,
  // because it cannot reach a push service.
  await ana.context.grantPermissions(["notifications"]);
  await ana.page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await ana.page.getByRole("button", { name: "Settings" }).click();
  const settings = ana.page.getByRole("region", { name: "Notifications" });
  const toggle = settings.getByRole("switch", {
    name: "Notifications on this device",
  });
  await expect(settings.getByRole("status")).toHaveText(
    "Notifications are off for this device.",
  );

  await toggle.click();
  await expect(settings.getByRole("alert")).toContainText(
    "The browser could not subscribe to notifications",
  );
  await expect(toggle).not.toBeChecked();
  await expect(toggle).toBeEnabled();
});

test("blocked notifications say what to do", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await ana.page.getByRole("button", { name: "Settings" }).click();
  const settings = ana.page.getByRole("region", { name: "Notifications" });
  await expect(settings.getByRole("status")).toHaveText(
    /^Notifications are blocked in this browser\. Allow them/,
  );
  await expect(
    settings.getByRole("switch", { name: "Notifications on this device" }),
  ).toBeDisabled();
});
