// Restarts the server (wrangler and its workerd) while three people keep
// sending in one group, and checks that every message arrives on every
// screen exactly once and in the order its sender sent it.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";
import {
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  signUp,
  test,
  uniquePhone,
  type Person,
} from "./helpers.ts";
import { createGroup } from "./steps.ts";
import { freePort, startWrangler, stopWrangler } from "./wrangler.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const GROUP = "Restart crew";
/** Messages each person sends before, during and after the restart. */
const BEFORE = 5;
const DURING = 4;
const AFTER = 5;
const TOTAL = BEFORE + DURING + AFTER;

/**
 * Returns the "<sender>-<n>" labels of the open chat's messages, in order.
 * The message list renders only the rows near its viewport, so this
 * scrolls it from the top to the bottom and adds each message, by its id,
 * the first time a step shows it. Two messages with one label both count.
 */
async function labels(page: Page): Promise<string[]> {
  const log = messageLog(page);
  const scroller = async (action: "top" | "down") =>
    log.evaluate((element, step) => {
      let node: HTMLElement | null = element as HTMLElement;
      while (node !== null && node.scrollHeight <= node.clientHeight) {
        node = node.parentElement;
      }
      if (node === null) return true;
      if (step === "top") node.scrollTop = 0;
      else node.scrollTop += node.clientHeight / 2;
      return node.scrollTop + node.clientHeight >= node.scrollHeight - 1;
    }, action);
  const seen = new Set<string>();
  const merged: string[] = [];
  let atBottom = await scroller("top");
  for (let step = 0; step < 100; step += 1) {
    await page.waitForTimeout(50);
    const rows = await log
      .getByRole("article")
      .evaluateAll((articles) =>
        articles.map((article) => [
          article.getAttribute("data-message-id") ?? "",
          (article as HTMLElement).innerText,
        ]),
      );
    for (const [id = "", text = ""] of rows) {
      const found = /\b[ABC]-\d{2}\b/.exec(text)?.[0];
      if (found === undefined || seen.has(id)) continue;
      seen.add(id);
      merged.push(found);
    }
    if (atBottom) break;
    atBottom = await scroller("down");
  }
  return merged;
}

function label(sender: string, n: number): string {
  return `${sender}-${String(n).padStart(2, "0")}`;
}

test.describe.configure({ mode: "serial" });

let workDir = "";
let server: ChildProcess | null = null;

test.afterAll(async () => {
  if (server !== null) await stopWrangler(server);
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

test("server restart loses no message", async ({ browser }) => {
  test.setTimeout(300_000);
  workDir = mkdtempSync(join(tmpdir(), "messenger-restart-"));
  const port = await freePort();
  const options = {
    port,
    assets: join(ROOT, "dist"),
    stateDir: join(workDir, "state"),
    logFile: join(workDir, "server.log"),
  };
  const baseURL = `http://127.0.0.1:${port}`;
  server = await startWrangler(options);

  const people: Person[] = [];
  for (const [index, name] of ["Ana", "Ben", "Cai"].entries()) {
    const context = await browser.newContext({
      baseURL,
      extraHTTPHeaders: { "CF-Connecting-IP": `198.19.7.${index + 1}` },
    });
    const page = await context.newPage();
    const phone = uniquePhone();
    await signUp(page, phone, name);
    people.push({ name, phone, context, page });
  }
  const [ana, ben, cai] = people as [Person, Person, Person];
  await createGroup(ana, GROUP, [ben, cai]);
  await openChat(ben.page, GROUP);
  await openChat(cai.page, GROUP);
  const senders = [
    { tag: "A", page: ana.page },
    { tag: "B", page: ben.page },
    { tag: "C", page: cai.page },
  ];

  const sendRange = (from: number, to: number) =>
    Promise.all(
      senders.map(async ({ tag, page }) => {
        for (let n = from; n <= to; n += 1) await sendText(page, label(tag, n));
      }),
    );

  // Everyone reads everyone once before the stream, so the chat's
  // encryption is set up on every device: this test is about the restart.
  for (const { tag, page } of senders) {
    await sendText(page, `hello from ${tag}`);
  }
  for (const { page } of senders) {
    for (const { tag } of senders) {
      await expect(messageWith(page, `hello from ${tag}`)).toBeVisible({
        timeout: 30_000,
      });
    }
  }

  await sendRange(1, BEFORE);
  // Stop the server while the last sends may still be in flight, send
  // more while it is down, then start it again on the same port and state.
  await stopWrangler(server);
  server = null;
  await sendRange(BEFORE + 1, BEFORE + DURING);
  server = await startWrangler(options);
  await sendRange(BEFORE + DURING + 1, TOTAL);

  const expected = senders.length * TOTAL;
  for (const { page } of senders) {
    await expect
      .poll(async () => (await labels(page)).length, { timeout: 90_000 })
      .toBe(expected);
  }
  const orders = await Promise.all(senders.map(({ page }) => labels(page)));
  for (const order of orders) {
    expect(new Set(order).size, "no message shows twice").toBe(expected);
    for (const { tag } of senders) {
      const own = order.filter((each) => each.startsWith(`${tag}-`));
      const sent = Array.from({ length: TOTAL }, (_, i) => label(tag, i + 1));
      expect(own, `${tag}'s messages in sending order`).toEqual(sent);
    }
  }
  // Every screen shows the server's one order.
  expect(orders[1]).toEqual(orders[0]);
  expect(orders[2]).toEqual(orders[0]);

  for (const person of people) await person.context.close();
});
