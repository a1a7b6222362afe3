import { readFile } from "node:fs/promises";
import type { Page } from "@playwright/test";
import { directPair, expect, messageWith, sendText, test } from "./helpers.ts";

interface ExportFile {
  format: string;
  version: number;
  account: { id: string; phone: string; displayName: string };
  chats: {
    kind: string;
    title: string;
    messages: { sender: string; text: string; notSent: boolean }[];
  }[];
}

async function exportData(
  page: Page,
): Promise<{ name: string; data: ExportFile }> {
  await page.getByRole("button", { name: "Settings" }).click();
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  const downloaded = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export my data" }).click();
  const download = await downloaded;
  await expect(
    page.getByText("Your data was saved to your downloads."),
  ).toBeVisible();
  const text = await readFile(await download.path(), "utf8");
  return {
    name: download.suggestedFilename(),
    data: JSON.parse(text) as ExportFile,
  };
}

test("export holds the account and its chats", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Hello Ana, <b>bold</b> stays text");
  await expect(
    messageWith(ana.page, "Hello Ana, <b>bold</b> stays text"),
  ).toBeVisible();

  const { name, data } = await exportData(ana.page);

  expect(name).toMatch(/^messenger-export-\d{4}-\d{2}-\d{2}\.json$/);
  expect(data.format).toBe("messenger-export");
  expect(data.version).toBe(1);
  expect(data.account.displayName).toBe("Ana");
  expect(data.account.phone).toBe(ana.phone);
  expect(data.chats).toHaveLength(1);
  const [chat] = data.chats;
  expect(chat?.kind).toBe("direct");
  expect(chat?.title).toContain("Ben");
  const texts = chat?.messages.map(({ sender, text }) => `${sender}: ${text}`);
  expect(texts).toEqual([
    "You: Hi Ben",
    `${ben.phone} ~Ben: Hello Ana, <b>bold</b> stays text`,
  ]);
});
