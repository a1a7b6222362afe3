/// <reference lib="webworker" />
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from "workbox-precaching";
import { clientsClaim } from "workbox-core";
import { ExpirationPlugin } from "workbox-expiration";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { CacheFirst } from "workbox-strategies";
import { OUTBOX_SYNC_TAG } from "../../protocol/index.ts";
import { NotifyMessage } from "../../protocol/service-worker.ts";
import { log } from "../src/data/log.ts";
import {
  PROFILE_PHOTO_CACHE,
  PROFILE_PHOTO_PATH,
} from "../src/data/photo-cache.ts";
import { MEDIA_PATH } from "../src/media/cache.ts";
import { serveMedia } from "./media.ts";
import { hasQueuedMessages, sendOutbox } from "./outbox-sender.ts";
import { handleNotificationClick } from "./notification-click.ts";
import { handleNotifyMessage, handlePush, resubscribe } from "./push.ts";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null } | string>;
};

/**
 * The event of the Background Sync API (Chromium-based browsers only),
 * which the WebWorker library of TypeScript does not declare.
 */
interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  /** True when the browser will not retry after this attempt. */
  readonly lastChance: boolean;
}

precacheAndRoute(self.__WB_MANIFEST);
// Precaches written by older Workbox versions use other cache names.
cleanupOutdatedCaches();

// Deep links such as /chat/… get the cached app shell, so a reload without
// network still starts the app. API paths always go to the network, and
// media paths, which a "save" link navigates to, to the media route below.
// The lists are matched against the path and the query.
const appShell = createHandlerBoundToURL("/index.html");
registerRoute(
  new NavigationRoute(appShell, {
    denylist: [/^\/api\//, /^\/media\//],
  }),
);

/**
 * Profile photos kept for offline use. At 256 KiB per photo at most, the
 * cache takes at most 75 MiB, and the least recently shown photos go first.
 */
const MAX_CACHED_PHOTOS = 300;

// Profile photos: a URL names one upload and never changes, so a cached
// copy is served without asking the server. Workbox stores only 200
// replies when no plugin sets cacheWillUpdate, so a 404 (a photo hidden
// or replaced) is not kept. The app requests a photo only while the
// owner's profile names it, and it deletes the cache at logout.
registerRoute(
  ({ url, request }) =>
    request.method === "GET" &&
    url.origin === self.location.origin &&
    PROFILE_PHOTO_PATH.test(url.pathname),
  new CacheFirst({
    cacheName: PROFILE_PHOTO_CACHE,
    plugins: [
      new ExpirationPlugin({
        maxEntries: MAX_CACHED_PHOTOS,
        purgeOnQuotaError: true,
      }),
    ],
  }),
);

// Decrypted media at /media/<mediaId>: the cached copy, or the encrypted
// file fetched and decrypted range by range, so that players can seek.
registerRoute(
  ({ url, request }) =>
    request.method === "GET" &&
    url.origin === self.location.origin &&
    MEDIA_PATH.test(url.pathname),
  async (options) => {
    const { url, request } = options;
    // A file opened in a tab would run as a page of the app's origin (an
    // HTML file's scripts, say), so a tab gets the app instead. Only a
    // save link, with ?download=1, navigates to the file itself.
    if (
      request.mode === "navigate" &&
      url.searchParams.get("download") !== "1"
    ) {
      return appShell(options);
    }
    const mediaId = MEDIA_PATH.exec(url.pathname)?.[1] ?? "";
    try {
      return await serveMedia(request, mediaId);
    } catch (error) {
      log("sw.media_failed", { mediaId, error: String(error) });
      return new Response("This file could not be read.", { status: 502 });
    }
  },
);

// The page of a first visit is controlled at once, so media URLs work
// without a reload. An update still waits for the page's request below,
// and the page reloads only when a worker replaced another one.
clientsClaim();

// A new version waits until the page requests it (the "new version ready"
// prompt), so an open page never mixes old and new files.
// A page also posts the messages that arrived while it was hidden, for
// a notification (see push.ts).
self.addEventListener("message", (event: ExtendableMessageEvent) => {
  const data: unknown = event.data;
  if (
    typeof data === "object" &&
    data !== null &&
    (data as { type?: unknown }).type === "SKIP_WAITING"
  ) {
    event.waitUntil(self.skipWaiting());
    return;
  }
  const notify = NotifyMessage.safeParse(data);
  if (notify.success && event.source instanceof WindowClient) {
    event.waitUntil(handleNotifyMessage(notify.data, event.source.id));
  }
});

// Web Push: every push shows or closes a notification (see push.ts).
self.addEventListener("push", (event) => {
  event.waitUntil(handlePush(event.data));
});

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});

// The browser renewed or dropped the subscription (the push service
// expired it, say), so this device subscribes again and stores the new
// subscription on the server.
self.addEventListener("pushsubscriptionchange", (event) => {
  (event as ExtendableEvent).waitUntil(resubscribe());
});

// Background Sync: the browser fires `sync` once it is online after a page
// registered the tag. An open page sends the outbox over its socket, so the
// worker sends only when no window of the app is open. A rejected promise
// makes the browser retry later. Chromium retries a few times with
// growing delays, and the next start of the app sends whatever is left.
self.addEventListener("sync", (event) => {
  const sync = event as SyncEvent;
  if (sync.tag !== OUTBOX_SYNC_TAG) return;
  sync.waitUntil(sendOutboxWithoutPages(sync.lastChance));
});

/** Interval of the checks while a window of the app is open. */
const WINDOW_CHECK_MS = 3_000;
/**
 * Time a sync waits for open windows to send the outbox or close, kept
 * under the three minutes Chromium gives a sync event.
 */
const WINDOW_WAIT_MS = 150_000;

/** The send in progress, which a second `sync` during it waits for. */
let sending: Promise<void> | null = null;

function sendOutboxWithoutPages(lastChance: boolean): Promise<void> {
  sending ??= trySendOutbox(lastChance).finally(() => {
    sending = null;
  });
  return sending;
}

/**
 * Sends the outbox once no window of the app is open. While one is open,
 * the sync waits for it to send the outbox or close. A sync that ended at
 * once would drop the tag, so a window closed a moment later would leave
 * its queued messages until the next start.
 */
async function trySendOutbox(lastChance: boolean): Promise<void> {
  const deadline = Date.now() + WINDOW_WAIT_MS;
  let windows = await openWindows();
  while (windows > 0) {
    if (!(await hasQueuedMessages())) {
      log("sw.outbox_sent_by_page", { windows });
      return;
    }
    if (Date.now() > deadline) {
      log("sw.outbox_left_to_page", { windows, lastChance });
      // Failing keeps the tag, so the browser tries again later.
      throw new Error(
        `${windows} app windows stayed open with queued messages`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WINDOW_CHECK_MS));
    windows = await openWindows();
  }
  try {
    await sendOutbox();
  } catch (error) {
    log("sw.outbox_send_failed", { error: String(error), lastChance });
    throw error;
  }
}

async function openWindows(): Promise<number> {
  const windows = await self.clients.matchAll({
    type: "window",
    includeUncontrolled: true,
  });
  return windows.length;
}
