import {
  chatLink,
  chooseAction,
  directPair,
  expect,
  messageLog,
  messageWith,
  openChat,
  sendText,
  test,
  tickOf,
} from "./helpers.ts";
import { waitForServiceWorker } from "./service-worker.ts";
import { messageTexts, networkStatus, SENT } from "./steps.ts";

test("offline reload shows chats and messages", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ben.page, "Reply before offline");
  await expect(messageWith(ana.page, "Reply before offline")).toBeVisible();
  await waitForServiceWorker(ana.page);

  await ana.context.setOffline(true);
  await ana.page.reload();
  await expect(networkStatus(ana.page)).toBeVisible();
  await expect(messageWith(ana.page, "Hi Ben")).toBeVisible();
  await expect(messageWith(ana.page, "Reply before offline")).toBeVisible();

  await ana.page.goto("/");
  await expect(chatLink(ana.page, "Ben")).toContainText("Reply before offline");
  await openChat(ana.page, "Ben");
  await expect(messageLog(ana.page).getByRole("article")).toHaveCount(2);
});

test("offline sends queue and go out once", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await waitForServiceWorker(ana.page);

  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  const texts = ["Offline one", "Offline two", "Offline three"];
  for (const text of texts) await sendText(ana.page, text);
  for (const text of texts) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", "Pending");
  }

  // A reload while still offline keeps the queue.
  await ana.page.reload();
  for (const text of texts) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", "Pending");
  }
  // Ben saw none of them.
  await ben.page.waitForTimeout(500);
  await expect(messageWith(ben.page, /Offline/)).toHaveCount(0);

  await ana.context.setOffline(false);
  for (const text of texts) {
    const tick = tickOf(messageWith(ana.page, text));
    await expect(tick).toHaveAttribute("aria-label", SENT);
  }
  for (const text of texts) {
    await expect(messageWith(ben.page, text)).toHaveCount(1);
  }
  // Reload so Ben's list comes from storage as synced, not from live frames.
  await ben.page.reload();
  await expect(messageWith(ben.page, "Offline three")).toBeVisible();
  const benTexts = await messageTexts(ben.page);
  const offline = benTexts.filter((text) => text.includes("Offline"));
  expect(offline).toHaveLength(3);
  for (const [index, text] of texts.entries()) {
    expect(offline[index], `message ${index + 1} in order`).toContain(text);
  }
});

test("offline delete for everyone queues", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await sendText(ana.page, "Sent by mistake");
  await expect(messageWith(ben.page, "Sent by mistake")).toBeVisible();

  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await chooseAction(
    ana.page,
    messageWith(ana.page, "Sent by mistake"),
    "Delete for everyone",
  );
  await expect(messageWith(ana.page, "This message was deleted")).toHaveCount(
    1,
  );
  await expect(ana.page.getByRole("alert")).toHaveCount(0);
  await expect(messageWith(ben.page, "Sent by mistake")).toHaveCount(1);

  await ana.context.setOffline(false);
  await expect(messageWith(ben.page, "This message was deleted")).toHaveCount(
    1,
  );
  await expect(messageWith(ben.page, "Sent by mistake")).toHaveCount(0);
  await expect(messageWith(ana.page, "Sent by mistake")).toHaveCount(0);
});

/**
 * Wraps the page's WebSocket to lose one acknowledgement. Once armed with
 * `window.dropAckOf(text)`, the first server frame that names the next
 * message sent is dropped and the socket closed. Bodies are encrypted, so
 * `text` only arms the dropper. This is a network failure after the
 * server stored the message but before `send.ok` arrived.
 */
function installAckDropper(): void {
  const state = { marker: "", lostId: "", dropped: false };
  const target = window as unknown as {
    dropAckOf: (marker: string) => void;
    ackDropped: () => boolean;
  };
  target.dropAckOf = (marker) => {
    state.marker = marker;
  };
  target.ackDropped = () => state.dropped;
  const Native = window.WebSocket;
  class Hooked extends Native {
    override send(data: Parameters<WebSocket["send"]>[0]) {
      if (
        typeof data === "string" &&
        state.marker !== "" &&
        state.lostId === ""
      ) {
        const frame = JSON.parse(data) as {
          type?: string;
          message?: { id?: string; kind?: string };
        };
        if (frame.type === "send" && frame.message?.kind === "message") {
          state.lostId = frame.message.id ?? "";
        }
      }
      super.send(data);
    }

    override addEventListener(
      type: string,
      listener: EventListenerOrEventListenerObject,
      options?: boolean | AddEventListenerOptions,
    ): void {
      if (type !== "message" || typeof listener !== "function") {
        super.addEventListener(type, listener, options);
        return;
      }
      super.addEventListener(
        type,
        (event: Event) => {
          const data: unknown = (event as MessageEvent).data;
          const namesLostSend =
            !state.dropped &&
            state.lostId !== "" &&
            typeof data === "string" &&
            data.includes(state.lostId);
          if (namesLostSend) {
            state.dropped = true;
            this.close(4000, "test drops the acknowledgement");
            return;
          }
          listener.call(this, event);
        },
        options,
      );
    }
  }
  window.WebSocket = Hooked;
}

test("send with lost ack is not duplicated", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await ana.page.addInitScript(installAckDropper);
  await ana.page.reload();
  await expect(messageWith(ana.page, "Hi Ben")).toBeVisible();
  await expect(ana.page.getByText("Connecting…")).toHaveCount(0);
  await ana.page.evaluate(() => {
    (window as unknown as { dropAckOf: (m: string) => void }).dropAckOf(
      "Lost ack",
    );
  });

  await sendText(ana.page, "Lost ack");
  await expect
    .poll(
      () =>
        ana.page.evaluate(() =>
          (window as unknown as { ackDropped: () => boolean }).ackDropped(),
        ),
      { message: "the acknowledgement was dropped" },
    )
    .toBe(true);
  // The send went out again on the next socket and was acknowledged.
  const tick = tickOf(messageWith(ana.page, "Lost ack"));
  await expect(tick).toHaveAttribute("aria-label", SENT, { timeout: 20_000 });
  await expect(messageWith(ana.page, "Lost ack")).toHaveCount(1);
  await expect(messageWith(ben.page, "Lost ack")).toHaveCount(1);
  await ben.page.reload();
  await expect(messageWith(ben.page, "Lost ack")).toHaveCount(1);
  await expect(messageLog(ben.page).getByRole("article")).toHaveCount(2);
});

test("settings show storage use", async ({ newPerson }) => {
  const ana = await newPerson("Ana");
  await ana.page.getByRole("button", { name: "Settings" }).click();
  const storage = ana.page.getByRole("region", { name: "Storage" });
  await expect(storage.getByText(/used$/)).toHaveText(
    /^Storage: \d+(\.\d)? (B|KB|MB|GB) used$/,
  );
});

test("read made offline reaches sender", async ({ newPerson }) => {
  const { ana, ben } = await directPair(newPerson);
  await ben.page.goto("/");
  await expect(chatLink(ben.page, "Ana")).toBeVisible();
  await waitForServiceWorker(ben.page);
  await sendText(ana.page, "Read me offline");
  const tick = tickOf(messageWith(ana.page, "Read me offline"));
  await expect(tick).toHaveAttribute("aria-label", "Delivered");

  // Ben reads the chat offline, then reloads before the network returns,
  // so only the stored read position can tell the server.
  await ben.context.setOffline(true);
  await openChat(ben.page, "Ana");
  await expect(messageWith(ben.page, "Read me offline")).toBeVisible();
  await ben.page.reload();
  await expect(networkStatus(ben.page)).toBeVisible();
  await ben.page.goto("/");
  await expect(tick).toHaveAttribute("aria-label", "Delivered");

  await ben.context.setOffline(false);
  await expect(tick).toHaveAttribute("aria-label", "Read");
});

test("logout warns about unsent messages", async ({ newPerson }) => {
  const { ana } = await directPair(newPerson);
  await ana.context.setOffline(true);
  await expect(networkStatus(ana.page)).toBeVisible();
  await sendText(ana.page, "Still in the outbox");
  await ana.page.goto("/");
  await ana.page.getByRole("button", { name: "Settings" }).click();

  await ana.page.getByRole("button", { name: "Log out" }).click();
  const warning = ana.page.getByRole("dialog", {
    name: "Log out with 1 unsent message?",
  });
  await expect(warning).toBeVisible();
  await warning.getByRole("button", { name: "Cancel" }).click();
  await expect(warning).toHaveCount(0);
  await ana.page.goto("/");
  await openChat(ana.page, "Ben");
  const tick = tickOf(messageWith(ana.page, "Still in the outbox"));
  await expect(tick).toHaveAttribute("aria-label", "Pending");

  await ana.page.getByRole("button", { name: "Settings" }).click();
  await ana.page.getByRole("button", { name: "Log out" }).click();
  await warning.getByRole("button", { name: "Log out anyway" }).click();
  await expect(
    ana.page.getByRole("button", { name: "Send code" }),
  ).toBeVisible();
});
