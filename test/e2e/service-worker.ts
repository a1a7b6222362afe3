// Steps for specs that drive the app's service worker: waiting until it
// controls a page, and firing a Background Sync event through the Chrome
// DevTools Protocol while no page of the app is open.
import type {
  BrowserContext,
  CDPSession,
  Page,
  Worker,
} from "@playwright/test";
import { expect } from "./helpers.ts";

/** Waits until the service worker controls `page`, so reloads are cached. */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  // The first load is not controlled until the worker claims it or the page
  // reloads, so reload once to be served by the worker.
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) {
    await page.reload();
  }
  await expect
    .poll(() => page.evaluate(() => !!navigator.serviceWorker.controller), {
      message: "a service worker controls the page",
    })
    .toBe(true);
}

/** Returns the Background Sync tags registered by the app of `page`. */
export async function syncTags(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const sync = (
      registration as unknown as { sync: { getTags(): Promise<string[]> } }
    ).sync;
    return sync.getTags();
  });
}

/**
 * Waits until every queued outbox entry on `page` carries its ciphertext,
 * because the service worker sends only encrypted entries.
 */
export async function waitForEncryptedOutbox(page: Page): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(
          () =>
            new Promise<number>((resolve, reject) => {
              const open = indexedDB.open("messenger");
              open.onerror = () => reject(new Error(String(open.error)));
              open.onsuccess = () => {
                const request = open.result
                  .transaction("outbox")
                  .objectStore("outbox")
                  .getAll();
                request.onerror = () =>
                  reject(new Error(String(request.error)));
                request.onsuccess = () => {
                  const entries = request.result as Array<{ cipher?: string }>;
                  open.result.close();
                  resolve(entries.filter((e) => e.cipher === undefined).length);
                };
              };
            }),
        ),
      { message: "queued entries without ciphertext" },
    )
    .toBe(0);
}

/**
 * Fires a `sync` event with `tag` at the app's service worker through the
 * DevTools protocol. It runs on a blank page of `context`, so the app may
 * have no page open. `origin` is the app's origin, for example
 * http://127.0.0.1:8787.
 */
export async function dispatchSync(
  context: BrowserContext,
  origin: string,
  tag: string,
): Promise<void> {
  const blank = await context.newPage();
  const session: CDPSession = await context.newCDPSession(blank);
  try {
    const registrationId = await appRegistrationId(session, origin);
    await session.send("ServiceWorker.dispatchSyncEvent", {
      origin,
      registrationId,
      tag,
      lastChance: false,
    });
  } finally {
    await session.detach();
    await blank.close();
  }
}

/**
 * Returns the DevTools id of the service worker registration of
 * `origin`, from the events that enabling the ServiceWorker domain sends.
 */
export async function appRegistrationId(
  session: CDPSession,
  origin: string,
): Promise<string> {
  const registrationId = new Promise<string>((resolve) => {
    session.on("ServiceWorker.workerRegistrationUpdated", (event) => {
      const app = event.registrations.find(
        (entry) => !entry.isDeleted && entry.scopeURL === `${origin}/`,
      );
      if (app !== undefined) resolve(app.registrationId);
    });
  });
  await session.send("ServiceWorker.enable");
  return registrationId;
}

/**
 * Collects the console lines of the service workers of `context`, from
 * the worker running now and any that starts later.
 */
export function recordServiceWorkerLog(context: BrowserContext): string[] {
  const lines: string[] = [];
  const listen = (worker: Worker) => {
    worker.on("console", (message) => lines.push(message.text()));
  };
  for (const worker of context.serviceWorkers()) listen(worker);
  context.on("serviceworker", listen);
  return lines;
}
