import { createTestSubscription } from "../push-receiver.ts";
import { expect, test } from "./helpers.ts";
import { fakePushManager } from "./push-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";

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

test("two tabs share the switch state", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  const subscription = await createTestSubscription(
    `https://push.invalid/${crypto.randomUUID()}`,
  );
  await fakePushManager(ana.context, subscription);
  await ana.context.grantPermissions(["notifications"]);
  await waitForServiceWorker(ana.page);
  const first = ana.page;
  const second = await ana.context.newPage();
  const switches = [];
  for (const page of [first, second]) {
    await page.goto("/settings");
    const settings = page.getByRole("region", { name: "Notifications" });
    await expect(settings.getByRole("status")).toHaveText(
      "Notifications are off for this device.",
    );
    switches.push({
      status: settings.getByRole("status"),
      toggle: settings.getByRole("switch", {
        name: "Notifications on this device",
      }),
    });
  }
  const [inFirst, inSecond] = switches;
  if (inFirst === undefined || inSecond === undefined) {
    throw new Error("missing a tab's switch");
  }

  await inFirst.toggle.click();
  await expect(inFirst.toggle).toBeChecked();
  await expect(inSecond.status).toHaveText(
    "Notifications are on for this device.",
  );
  await expect(inSecond.toggle).toBeChecked();

  await inSecond.toggle.click();
  await expect(inSecond.toggle).not.toBeChecked();
  await expect(inFirst.status).toHaveText(
    "Notifications are off for this device.",
  );
  await expect(inFirst.toggle).not.toBeChecked();
});

test("a server without VAPID keys says so", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await ana.context.grantPermissions(["notifications"]);
  // The end-to-end server has keys, so this page gets the reply that a
  // server without them sends.
  await ana.page.route("**/api/push/key", (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({
        error: {
          code: "unavailable",
          message: "Notifications are not set up on this server.",
        },
      }),
    }),
  );
  await ana.page.getByRole("button", { name: "Settings" }).click();
  const settings = ana.page.getByRole("region", { name: "Notifications" });
  await expect(settings.getByRole("status")).toHaveText(
    /^Notifications are not set up on this server\. Ask its administrator/,
  );
  await expect(
    settings.getByRole("switch", { name: "Notifications on this device" }),
  ).toBeDisabled();
});
