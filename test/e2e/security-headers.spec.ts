import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGroup } from "./steps.ts";
import {
  chatHeader,
  chatLink,
  expect,
  messageWith,
  sendText,
  test,
} from "./helpers.ts";

test("app and API responses carry security headers", async ({ page }) => {
  const response = await page.goto("/");
  expect(response).not.toBeNull();
  const headers = response!.headers();
  const policy = headers["content-security-policy"] ?? "";
  expect(policy).toContain("script-src 'self'");
  expect(policy).toContain("object-src 'none'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("no-referrer");

  const api = await page.request.get("/api/me");
  expect(api.status()).toBe(401);
  const apiHeaders = api.headers();
  expect(apiHeaders["content-security-policy"]).toBe(
    "default-src 'none'; frame-ancestors 'none'",
  );
  expect(apiHeaders["x-content-type-options"]).toBe("nosniff");
  expect(apiHeaders["x-frame-options"]).toBe("DENY");
});

test("another page cannot frame the app", async ({ page, baseURL }) => {
  // The framing page comes from a server of this test on another port of
  // 127.0.0.1, so it is another origin. Chromium replaces a frame that
  // frame-ancestors refuses with its error page.
  const framer = createServer((_, response) => {
    response.writeHead(200, { "Content-Type": "text/html" });
    response.end(`<iframe src="${baseURL}/"></iframe>`);
  });
  await new Promise<void>((resolve) => framer.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = framer.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    const frame = () => page.frames().find((each) => each !== page.mainFrame());
    await expect.poll(() => frame()?.url()).toMatch(/^chrome-error:/);
    await expect(
      page.frameLocator("iframe").getByRole("button", { name: "Send code" }),
    ).toHaveCount(0);
  } finally {
    framer.close();
  }
});

test("names and group names render as text", async ({ newPerson }) => {
  const nameMarkup = `<img src=x onerror="window.__injected=1">Ana`;
  const groupMarkup = `<b>Team</b><img src=x onerror="window.__injected=2">`;
  const ana = await newPerson(nameMarkup);
  const ben = await newPerson("Ben");
  await createGroup(ben, groupMarkup, [ana]);

  await expect(chatHeader(ben.page)).toContainText(groupMarkup);
  await expect(chatLink(ana.page, groupMarkup)).toBeVisible();
  await chatLink(ana.page, groupMarkup).click();
  await expect(chatHeader(ana.page)).toContainText(groupMarkup);
  await sendText(ana.page, "hello from Ana");
  await expect(messageWith(ben.page, "hello from Ana")).toContainText(
    nameMarkup,
  );

  for (const page of [ana.page, ben.page]) {
    await expect(page.locator("img[src='x'], b")).toHaveCount(0);
    const injected = await page.evaluate(
      () => (window as unknown as { __injected?: number }).__injected,
    );
    expect(injected).toBeUndefined();
  }
});
