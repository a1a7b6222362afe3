/// <reference lib="webworker" />
import { MarkReadBody, type OpenPathMessage } from "../../protocol/index.ts";
import { log } from "../src/data/log.ts";
import { appWindows, chatPath, type NotificationData } from "./push.ts";

declare const self: ServiceWorkerGlobalScope;

/**
 * Handles a click on a notification or one of its buttons. A message
 * opens its chat (with the composer focused for Reply) or is marked read.
 * A call opens its chat (with `?call=` for Answer) or, for Decline, is
 * declined on the server and closes.
 */
export async function handleNotificationClick(
  notification: Notification,
  action: string,
): Promise<void> {
  notification.close();
  const data = notification.data as NotificationData | null;
  if (data === null || data.kind === "generic") {
    await openApp(null);
    return;
  }
  if (data.kind === "call") {
    if (action === "decline") {
      await declineCall(data.callId);
      return;
    }
    const query = action === "answer" ? `?call=${data.callId}` : "";
    await openApp(chatPath(data.chatId) + query);
    return;
  }
  if (action === "read") {
    await markRead(data.chatId, data.seq);
    return;
  }
  const query = action === "reply" ? "?compose=1" : "";
  await openApp(chatPath(data.chatId) + query);
}

/**
 * Shows `path` in a window of the app: an open window navigates through
 * the app's router, else a new window opens. Null opens the chat list.
 */
async function openApp(path: string | null): Promise<void> {
  const windows = await appWindows();
  const target = windows.find((client) => client.focused) ?? windows[0];
  if (target === undefined) {
    await self.clients.openWindow(path ?? "/");
    return;
  }
  if (path !== null) {
    const message: OpenPathMessage = { type: "open_path", path };
    target.postMessage(message);
  }
  try {
    await target.focus();
  } catch (error) {
    // Browsers allow focus() only while handling a click of the person.
    log("sw.window_focus_failed", { error: String(error) });
  }
}

/**
 * Marks the chat read up to `seq` with this device's session cookie, as
 * the page's read receipt would.
 */
async function markRead(chatId: string, seq: number): Promise<void> {
  const body: MarkReadBody = { seq };
  try {
    const response = await fetch(
      `/api/chats/${encodeURIComponent(chatId)}/read`,
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      },
    );
    if (!response.ok) {
      log("sw.mark_read_failed", { chatId, status: response.status });
    }
  } catch (error) {
    log("sw.mark_read_failed", { chatId, error: String(error) });
  }
}

/**
 * Declines a ringing call with this device's session cookie. A 404 means
 * the call stopped ringing meanwhile, which needs nothing more.
 */
async function declineCall(callId: string): Promise<void> {
  try {
    const response = await fetch(
      `/api/calls/${encodeURIComponent(callId)}/decline`,
      { method: "POST", credentials: "same-origin" },
    );
    if (!response.ok && response.status !== 404) {
      log("sw.call_decline_failed", { callId, status: response.status });
    }
  } catch (error) {
    log("sw.call_decline_failed", { callId, error: String(error) });
  }
}
