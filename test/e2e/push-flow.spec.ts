// The whole path of a notification: the app subscribes through Settings,
// the server encrypts a push for the subscription when the recipient has
// no open socket, and the recipient's service worker shows it. The
// browser's push service is replaced by the server's development push
// service (endpoints on push.invalid) and by a subscription whose keys
// this test holds, so the test can verify VAPID and decrypt the push.
import type { BrowserContext, Page } from "@playwright/test";
import { PushPayload } from "../../protocol/index.ts";
import {
  createTestSubscription,
  fromBase64url,
  verifyVapid,
  type TestSubscription,
} from "../push-receiver.ts";
import {
  directPair,
  expect,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";
import {
  deliverPush,
  fakePushManager,
  openChatIds,
  type ShownNotification,
} from "./push-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";

interface DevPush {
  headers: Record<string, string>;
  body: string;
}

/**
 * Waits for push number `count` to `endpoint` at the development push
 * service, checks its VAPID header and returns it decrypted.
 */
async function receivePush(
  page: Page,
  subscription: TestSubscription,
  count: number,
): Promise<string> {
  const endpoint = subscription.json.endpoint;
  let pushes: DevPush[] = [];
  await expect
    .poll(
      async () => {
        const reply = await page.request.get(
          `/api/dev/push?endpoint=${encodeURIComponent(endpoint)}`,
        );
        expect(reply.status(), "GET /api/dev/push status").toBe(200);
        pushes = ((await reply.json()) as { pushes: DevPush[] }).pushes;
        return pushes.length;
      },
      { message: `push ${count} to the test endpoint`, timeout: 15_000 },
    )
    .toBe(count);
  const push = pushes[count - 1]!;
  const serverKey = process.env.E2E_VAPID_PUBLIC_KEY ?? "";
  const claims = await verifyVapid(
    push.headers.authorization ?? "",
    new URL(endpoint).origin,
    serverKey,
  );
  expect(claims.aud).toBe("https://push.invalid");
  return subscription.decrypt(fromBase64url(push.body));
}

/** Returns the notifications shown by the service worker of `context`. */
async function notificationsOf(
  context: BrowserContext,
): Promise<ShownNotification[]> {
  const worker = context.serviceWorkers().at(-1);
  if (worker === undefined) return [];
  return worker.evaluate(async () => {
    const scope = self as unknown as {
      registration: { getNotifications(): Promise<Notification[]> };
    };
    const notifications = await scope.registration.getNotifications();
    return notifications.map(({ title, body, tag }) => ({ title, body, tag }));
  });
}

test("message push reaches a closed app", async ({ newPerson, baseURL }) => {
  const { ana, ben } = await directPair(newPerson);
  const { chatId } = await openChatIds(ben.page);
  const subscription = await createTestSubscription(
    `https://push.invalid/${crypto.randomUUID()}`,
  );
  await fakePushManager(ben.context, subscription);
  await ben.context.grantPermissions(["notifications"]);
  await waitForServiceWorker(ben.page);

  await test.step("turn notifications on in Settings", async () => {
    await ben.page.goto("/settings");
    const settings = ben.page.getByRole("region", { name: "Notifications" });
    const toggle = settings.getByRole("switch", {
      name: "Notifications on this device",
    });
    await expect(settings.getByRole("status")).toHaveText(
      "Notifications are off for this device.",
    );
    await toggle.click();
    await expect(toggle).toBeChecked();
    await expect(settings.getByRole("status")).toHaveText(
      "Notifications are on for this device.",
    );
    const status = await ben.page.evaluate(async () => {
      const reply = await fetch("/api/push/subscription");
      return (await reply.json()) as { subscribed: boolean };
    });
    expect(status.subscribed).toBe(true);
  });

  await test.step("startup subscribes again when it vanished", async () => {
    const stored = () =>
      ben.page.evaluate(() => localStorage.getItem("test.pushServerKey"));
    expect(await stored()).not.toBeNull();
    await ben.page.evaluate(() => {
      localStorage.removeItem("test.pushServerKey");
    });
    const put = ben.page.waitForResponse(
      (response) =>
        response.request().method() === "PUT" &&
        new URL(response.url()).pathname === "/api/push/subscription",
    );
    await ben.page.reload();
    expect((await put).status()).toBe(200);
    expect(await stored()).not.toBeNull();
  });

  // Ben's app closes, so the server has no socket of his to send to.
  const blank = await ben.context.newPage();
  await ben.page.close();
  const origin = new URL(baseURL!).origin;

  await sendText(ana.page, "Dinner at eight?");
  const first = PushPayload.parse(
    JSON.parse(await receivePush(ana.page, subscription, 1)),
  );
  expect(first.type).toBe("message");
  expect(first.chatId).toBe(chatId);
  await deliverPush(blank, JSON.stringify(first), origin);
  await expect
    .poll(() => notificationsOf(ben.context))
    .toEqual([
      {
        title: `${ana.phone} ~Ana`,
        body: "Dinner at eight?",
        tag: `chat:${chatId}`,
      },
    ]);

  await test.step("opening the chat closes its notification", async () => {
    const page = await ben.context.newPage();
    await page.goto("/");
    await openChat(page, "Ana");
    await expect.poll(() => notificationsOf(ben.context)).toEqual([]);
    // The next push counts one unread message once the read arrived.
    const dinner = messageWith(ana.page, "Dinner at eight?");
    await expect(tickOf(dinner)).toHaveAccessibleName("Read");
    await page.goto("/settings");
    const previews = page.getByRole("switch", {
      name: "Show message previews",
    });
    await previews.uncheck();
    await expect(previews).not.toBeChecked();
    await page.close();
  });

  await sendText(ana.page, "Bring the wine");
  const second = await receivePush(ana.page, subscription, 2);
  expect(PushPayload.parse(JSON.parse(second)).type).toBe("message");
  await deliverPush(blank, second, origin);
  await expect
    .poll(() => notificationsOf(ben.context))
    .toEqual([
      {
        title: `${ana.phone} ~Ana`,
        body: "New message",
        tag: `chat:${chatId}`,
      },
    ]);

  await test.step("logout deletes the subscription first", async () => {
    const page = await ben.context.newPage();
    await page.goto("/settings");
    const deleted = page.waitForResponse(
      (response) =>
        response.request().method() === "DELETE" &&
        new URL(response.url()).pathname === "/api/push/subscription",
    );
    await page.getByRole("button", { name: "Log out" }).click();
    expect((await deleted).status()).toBe(200);
    await expect(
      page.getByRole("textbox", { name: "Phone number" }),
    ).toBeVisible();
    const stored = await page.evaluate(() =>
      localStorage.getItem("test.pushServerKey"),
    );
    expect(stored, "the browser subscription is gone").toBeNull();
  });
});
