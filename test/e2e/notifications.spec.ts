// The service worker's push and notification handlers, fed through the
// DevTools protocol as a push service would feed them. The payloads are
// built here, and previews are sealed with the recipient's stored key.
import type { Page } from "@playwright/test";
import {
  chatLink,
  chatList,
  composer,
  directPair,
  expect,
  formattedPhone,
  messageLog,
  messageWith,
  sendText,
  test,
  tickOf,
  type Person,
} from "./helpers.ts";
import {
  appWorker,
  clickNotification,
  closeNotifications,
  deliverPush,
  lastSeqOn,
  openChatIds,
  sealPreviewOn,
  shownNotifications,
  uuidV7,
} from "./push-steps.ts";
import { waitForServiceWorker } from "./service-worker.ts";

/**
 * Signs up Ana and Ben with a direct chat, lets Ben's browser show
 * notifications, and leaves Ben's page on the chat list.
 */
async function benWithChat(newPerson: (name: string) => Promise<Person>) {
  const { ana, ben } = await directPair(newPerson);
  await ben.context.grantPermissions(["notifications"]);
  await waitForServiceWorker(ben.page);
  const ids = await openChatIds(ben.page);
  // A window still on the chat would keep its notifications away.
  await ben.page.goto("/");
  await expect(chatList(ben.page)).toBeVisible();
  const worker = await appWorker(ben.page);
  // Pushes of new messages carry seqs past what Ben has read, because the
  // service worker shows nothing for a read one.
  const nextSeq = (await lastSeqOn(ben.page, ids.chatId)) + 1;
  return { ana, ben, worker, nextSeq, ...ids };
}

/** Returns a `message` push payload from `senderId` in `chatId`. */
async function messagePush(
  page: Page,
  chat: { chatId: string; peerId: string },
  options: { seq: number; unread: number; text?: string },
) {
  const id = uuidV7();
  const preview =
    options.text === undefined
      ? undefined
      : await sealPreviewOn(page, chat.chatId, id, options.text);
  return {
    v: 1,
    type: "message",
    chatId: chat.chatId,
    id,
    seq: options.seq,
    senderId: chat.peerId,
    ts: Date.now(),
    unread: options.unread,
    ...(preview === undefined ? {} : { preview }),
  };
}

test("push shows one notification per chat", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId, nextSeq } =
    await benWithChat(newPerson);
  const chat = { chatId, peerId };
  const tag = `chat:${chatId}`;
  const title = `${formattedPhone(ana.phone)} ~Ana`;

  await deliverPush(
    ben.page,
    await messagePush(ben.page, chat, {
      seq: nextSeq,
      unread: 1,
      text: "Lunch at noon?",
    }),
  );
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title, body: "Lunch at noon?", tag }]);

  await deliverPush(
    ben.page,
    await messagePush(ben.page, chat, {
      seq: nextSeq + 1,
      unread: 2,
      text: "At the usual place",
    }),
  );
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title, body: "2 new messages\nAt the usual place", tag }]);

  // A read position below the shown message leaves it, the read of it
  // closes it.
  await deliverPush(ben.page, { v: 1, type: "read", chatId, readSeq: nextSeq });
  await deliverPush(ben.page, {
    v: 1,
    type: "call.end",
    chatId,
    callId: "call-1",
  });
  await expect.poll(() => shownNotifications(worker)).toHaveLength(1);
  await deliverPush(ben.page, {
    v: 1,
    type: "read",
    chatId,
    readSeq: nextSeq + 1,
  });
  await expect.poll(() => shownNotifications(worker)).toEqual([]);
});

test("notification click opens the chat", async ({ newPerson }) => {
  const { ben, worker, chatId, peerId, nextSeq } = await benWithChat(newPerson);
  const tag = `chat:${chatId}`;
  const push = await messagePush(
    ben.page,
    { chatId, peerId },
    {
      seq: nextSeq,
      unread: 1,
    },
  );
  await deliverPush(ben.page, push);
  await expect.poll(() => shownNotifications(worker)).toHaveLength(1);

  await clickNotification(worker, tag);
  await expect(ben.page).toHaveURL(new RegExp(`/chat/${chatId}$`));
  await expect(messageWith(ben.page, "Hi Ben")).toBeVisible();
  await expect.poll(() => shownNotifications(worker)).toEqual([]);

  // Reply opens the chat with the composer focused.
  await ben.page.goto("/");
  await deliverPush(ben.page, { ...push, seq: nextSeq + 1 });
  await expect.poll(() => shownNotifications(worker)).toHaveLength(1);
  await clickNotification(worker, tag, "reply");
  await expect(messageLog(ben.page)).toBeVisible();
  await expect(composer(ben.page)).toBeFocused();
});

test("mark as read reaches the sender", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId } = await benWithChat(newPerson);
  await sendText(ana.page, "Are you there?");
  const sent = messageWith(ana.page, "Are you there?");
  await expect(tickOf(sent)).toHaveAccessibleName("Delivered");
  await expect(chatLink(ben.page, "Ana")).toContainText("Are you there?");

  const seq = await lastSeqOn(ben.page, chatId);
  await deliverPush(
    ben.page,
    await messagePush(ben.page, { chatId, peerId }, { seq, unread: 1 }),
  );
  await expect.poll(() => shownNotifications(worker)).toHaveLength(1);
  await clickNotification(worker, `chat:${chatId}`, "read");

  await expect(tickOf(sent)).toHaveAccessibleName("Read");
  await expect.poll(() => shownNotifications(worker)).toEqual([]);
  // The chat list stays open, as Mark as read opens no window.
  await expect(ben.page).toHaveURL(/\/$/);
});

test("previews off show New message", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId, nextSeq } =
    await benWithChat(newPerson);
  await ben.page.getByRole("button", { name: "Settings" }).click();
  const previews = ben.page.getByRole("switch", {
    name: "Show message previews",
  });
  await expect(previews).toBeChecked();
  await previews.uncheck();
  await expect(previews).not.toBeChecked();

  await deliverPush(
    ben.page,
    await messagePush(
      ben.page,
      { chatId, peerId },
      {
        seq: nextSeq,
        unread: 1,
        text: "A secret",
      },
    ),
  );
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([
      {
        title: `${formattedPhone(ana.phone)} ~Ana`,
        body: "New message",
        tag: `chat:${chatId}`,
      },
    ]);
});

test("invalid push and calls show notifications", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId } = await benWithChat(newPerson);

  await deliverPush(ben.page, "not JSON");
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title: "New message", body: "", tag: "" }]);
  await closeNotifications(worker);

  await deliverPush(ben.page, {
    v: 1,
    type: "call",
    chatId,
    callId: "call-1",
    callerId: peerId,
    video: true,
    ts: Date.now(),
  });
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([
      {
        title: "Incoming video call",
        body: `${formattedPhone(ana.phone)} ~Ana`,
        tag: "call:call-1",
      },
    ]);
  await deliverPush(ben.page, {
    v: 1,
    type: "call.end",
    chatId,
    callId: "call-1",
  });
  await expect.poll(() => shownNotifications(worker)).toEqual([]);
});

test("push of a read message shows nothing", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId } = await benWithChat(newPerson);
  await sendText(ana.page, "Seen on screen");
  const sent = messageWith(ana.page, "Seen on screen");
  await chatLink(ben.page, "Ana").click();
  await expect(messageWith(ben.page, "Seen on screen")).toBeVisible();
  await expect(tickOf(sent)).toHaveAccessibleName("Read");
  await ben.page.goto("/");
  await expect(chatList(ben.page)).toBeVisible();

  // The push of the message Ben read arrives late, as when the browser's
  // push connection comes back after the app's socket synced.
  const seq = await lastSeqOn(ben.page, chatId);
  await deliverPush(
    ben.page,
    await messagePush(ben.page, { chatId, peerId }, { seq, unread: 1 }),
  );
  // A push for a chat this device does not have proves the first push
  // was handled by the time it shows.
  const otherChat = `dm_${"0".repeat(32)}`;
  await deliverPush(
    ben.page,
    await messagePush(
      ben.page,
      { chatId: otherChat, peerId },
      { seq: 1, unread: 1 },
    ),
  );
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title: "New message", body: "", tag: `chat:${otherChat}` }]);
});

test("forged pushes show only New message", async ({ newPerson }) => {
  const { ana, ben, worker, chatId, peerId, nextSeq } =
    await benWithChat(newPerson);
  const chat = { chatId, peerId };

  // A preview sealed for another message fails its additional data.
  const sealed = await messagePush(ben.page, chat, {
    seq: nextSeq,
    unread: 1,
    text: "Moved here",
  });
  await deliverPush(ben.page, { ...sealed, id: uuidV7() });
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([
      {
        title: `${formattedPhone(ana.phone)} ~Ana`,
        body: "New message",
        tag: `chat:${chatId}`,
      },
    ]);
  await closeNotifications(worker);

  // An oversized preview fails the payload schema.
  await deliverPush(ben.page, {
    ...sealed,
    preview: `pv1.1.${"A".repeat(3000)}`,
  });
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title: "New message", body: "", tag: "" }]);
  await closeNotifications(worker);

  // A chat this device does not have shows no name and no text, even
  // with a preview sealed by a key of another chat.
  const otherChat = `dm_${"1".repeat(32)}`;
  await deliverPush(ben.page, { ...sealed, chatId: otherChat });
  await expect
    .poll(() => shownNotifications(worker))
    .toEqual([{ title: "New message", body: "", tag: `chat:${otherChat}` }]);
});

test("deleted push closes its message", async ({ newPerson }) => {
  const { ben, worker, nextSeq, chatId, peerId } = await benWithChat(newPerson);
  const chat = { chatId, peerId };
  const first = await messagePush(ben.page, chat, {
    seq: nextSeq,
    unread: 1,
    text: "Wrong chat, sorry",
  });
  await deliverPush(ben.page, first);
  await expect.poll(() => shownNotifications(worker)).toHaveLength(1);

  // A delete of another message leaves the notification.
  await deliverPush(ben.page, {
    v: 1,
    type: "deleted",
    chatId,
    id: uuidV7(),
    seq: nextSeq - 1,
  });
  expect(await shownNotifications(worker)).toHaveLength(1);
  await deliverPush(ben.page, {
    v: 1,
    type: "deleted",
    chatId,
    id: first.id,
    seq: first.seq,
  });
  await expect.poll(() => shownNotifications(worker)).toEqual([]);
});
