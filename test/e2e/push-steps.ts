// Steps for the notification specs: delivering a push to the app's
// service worker through the Chrome DevTools Protocol, reading or
// clicking the notifications it shows from inside the worker, and a
// PushManager that returns a test subscription.
import type { BrowserContext, Page, Worker } from "@playwright/test";
import type { TestSubscription } from "../push-receiver.ts";
import { expect } from "./helpers.ts";
import { appRegistrationId } from "./service-worker.ts";

/**
 * The parts of the service worker's global scope that these steps use
 * inside `worker.evaluate`, because the tests compile with the DOM library.
 */
interface WorkerScope {
  registration: {
    getNotifications(filter?: { tag?: string }): Promise<Notification[]>;
  };
  dispatchEvent(event: Event): boolean;
}

declare const NotificationEvent: new (
  type: string,
  init: { notification: Notification; action: string },
) => Event;

/** A notification as the service worker's registration lists it. */
export interface ShownNotification {
  title: string;
  body: string;
  tag: string;
}

/** Returns the app's running service worker in the context of `page`. */
export async function appWorker(page: Page): Promise<Worker> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  let worker: Worker | undefined;
  await expect
    .poll(
      () => {
        worker = page.context().serviceWorkers()[0];
        return worker !== undefined;
      },
      { message: "the app's service worker runs" },
    )
    .toBe(true);
  return worker!;
}

/**
 * Delivers `payload` (JSON, or a string as it is) as a push message to
 * the service worker of `origin` (by default the origin of `page`), as a
 * push service would. `page` may be a blank page of the app's context.
 */
export async function deliverPush(
  page: Page,
  payload: unknown,
  origin = new URL(page.url()).origin,
): Promise<void> {
  const session = await page.context().newCDPSession(page);
  try {
    const registrationId = await appRegistrationId(session, origin);
    await session.send("ServiceWorker.deliverPushMessage", {
      origin,
      registrationId,
      data: typeof payload === "string" ? payload : JSON.stringify(payload),
    });
  } finally {
    await session.detach();
  }
}

/** Returns the notifications the app's service worker shows now. */
export async function shownNotifications(
  worker: Worker,
): Promise<ShownNotification[]> {
  return worker.evaluate(async () => {
    const scope = self as unknown as WorkerScope;
    const notifications = await scope.registration.getNotifications();
    return notifications.map(({ title, body, tag }) => ({ title, body, tag }));
  });
}

/** Closes every notification of the app's service worker. */
export async function closeNotifications(worker: Worker): Promise<void> {
  await worker.evaluate(async () => {
    const scope = self as unknown as WorkerScope;
    for (const shown of await scope.registration.getNotifications()) {
      shown.close();
    }
  });
}

/**
 * Clicks the notification tagged `tag` (or its button `action`) by
 * firing `notificationclick` in the service worker.
 */
export async function clickNotification(
  worker: Worker,
  tag: string,
  action = "",
): Promise<void> {
  await worker.evaluate(
    async ({ tag, action }) => {
      const scope = self as unknown as WorkerScope;
      const [notification] = await scope.registration.getNotifications({
        tag,
      });
      if (notification === undefined) {
        throw new Error(`no notification with tag ${tag}`);
      }
      scope.dispatchEvent(
        new NotificationEvent("notificationclick", { notification, action }),
      );
    },
    { tag, action },
  );
}

/** Returns a new UUIDv7, as message ids are. */
export function uuidV7(): string {
  const time = Date.now().toString(16).padStart(12, "0");
  const random = crypto.randomUUID().replace(/-/g, "");
  const variant = ((parseInt(random[16]!, 16) & 0x3) | 0x8).toString(16);
  return (
    `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(0, 3)}-` +
    `${variant}${random.slice(17, 20)}-${random.slice(20, 32)}`
  );
}

/**
 * Returns the ids of the open chat on `page`: the chat's id from the URL
 * and the other person's user id from the stored chat row.
 */
export async function openChatIds(
  page: Page,
): Promise<{ chatId: string; peerId: string }> {
  const chatId = decodeURIComponent(
    /\/chat\/([^/?]+)/.exec(page.url())?.[1] ?? "",
  );
  expect(chatId, "the page shows a chat").not.toBe("");
  const row = await chatRowOn(page, chatId);
  const peerId = typeof row?.peerId === "string" ? row.peerId : "";
  return { chatId, peerId };
}

/**
 * Encrypts `text` as the preview of `messageId` with the newest preview
 * key stored on `page` for the chat, in the `pv1.<epoch>.<base64url>`
 * format (AES-GCM, a 12-byte IV before the ciphertext, the chat id and
 * message id as additional data).
 */
export async function sealPreviewOn(
  page: Page,
  chatId: string,
  messageId: string,
  text: string,
): Promise<string> {
  return page.evaluate(
    async ({ chatId, messageId, text }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open("messenger");
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => resolve(open.result);
      });
      const rows = await new Promise<{ epoch: number; key: CryptoKey }[]>(
        (resolve, reject) => {
          const request = db
            .transaction("previewKeys")
            .objectStore("previewKeys")
            .index("chatId")
            .getAll(chatId);
          request.onsuccess = () =>
            resolve(request.result as { epoch: number; key: CryptoKey }[]);
          request.onerror = () => reject(new Error(String(request.error)));
        },
      );
      db.close();
      const row = rows.sort((a, b) => b.epoch - a.epoch)[0];
      if (row === undefined) throw new Error("no preview key for the chat");
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        {
          name: "AES-GCM",
          iv,
          additionalData: new TextEncoder().encode(`${chatId}/${messageId}`),
        },
        row.key,
        new TextEncoder().encode(text),
      );
      const bytes = new Uint8Array([...iv, ...new Uint8Array(sealed)]);
      const base64 = btoa(String.fromCharCode(...bytes));
      const base64url = base64
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
      return `pv1.${row.epoch}.${base64url}`;
    },
    { chatId, messageId, text },
  );
}

/** Returns the row of `chatId` in the IndexedDB of `page`, if any. */
async function chatRowOn(
  page: Page,
  chatId: string,
): Promise<Record<string, unknown> | undefined> {
  return page.evaluate(
    (id) =>
      new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
        const open = indexedDB.open("messenger");
        open.onerror = () => reject(new Error(String(open.error)));
        open.onsuccess = () => {
          const request = open.result
            .transaction("chats")
            .objectStore("chats")
            .get(id);
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result as Record<string, unknown> | undefined);
          };
          request.onerror = () => reject(new Error(String(request.error)));
        };
      }),
    chatId,
  );
}

/** Returns the last sequence number of `chatId` stored on `page`. */
export async function lastSeqOn(page: Page, chatId: string): Promise<number> {
  const row = await chatRowOn(page, chatId);
  return typeof row?.lastSeq === "number" ? row.lastSeq : 0;
}

/**
 * Makes `PushManager` in the pages of `context` return a subscription
 * with the keys of `subscription`, because Chromium cannot reach a real
 * push service here. The server key it was made with is kept in
 * localStorage, so a reload still finds it.
 */
export async function fakePushManager(
  context: BrowserContext,
  subscription: TestSubscription,
): Promise<void> {
  await context.addInitScript((json) => {
    const STORAGE_KEY = "test.pushServerKey";
    const make = (key: Uint8Array) => ({
      endpoint: json.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: key.buffer },
      toJSON: () => json,
      unsubscribe: () => {
        localStorage.removeItem(STORAGE_KEY);
        return Promise.resolve(true);
      },
    });
    PushManager.prototype.subscribe = function (options) {
      const serverKey = options?.applicationServerKey;
      const key = ArrayBuffer.isView(serverKey)
        ? new Uint8Array(
            serverKey.buffer,
            serverKey.byteOffset,
            serverKey.byteLength,
          )
        : new Uint8Array(serverKey as ArrayBuffer);
      localStorage.setItem(STORAGE_KEY, JSON.stringify(Array.from(key)));
      return Promise.resolve(make(key) as unknown as PushSubscription);
    };
    PushManager.prototype.getSubscription = function () {
      const stored = localStorage.getItem(STORAGE_KEY);
      if (stored === null) return Promise.resolve(null);
      const key = new Uint8Array(JSON.parse(stored) as number[]);
      return Promise.resolve(make(key) as unknown as PushSubscription);
    };
  }, subscription.json);
}
