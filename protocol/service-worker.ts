import { z } from "zod";
import { MessagePush, PREVIEW_TEXT_CHARS } from "./push.ts";

/**
 * Background Sync tag with which the page requests that its service worker
 * send the outbox once the network is back, even with no page open.
 */
export const OUTBOX_SYNC_TAG = "outbox";

/**
 * What the service worker posts to an open window of the app when a
 * notification is clicked: open the chat at `path` (a path of the app such
 * as /chat/<chatId>?compose=1). The window validates it like any input.
 */
export const OpenPathMessage = z.object({
  type: z.literal("open_path"),
  path: z
    .string()
    .max(512, "must be at most 512 characters")
    .regex(/^\/chat\/[^/?#]+(\?[^#]*)?$/, "must be a chat path"),
});
export type OpenPathMessage = z.infer<typeof OpenPathMessage>;

/**
 * The message a page posts to the service worker when a message arrives
 * over its socket while the page is hidden or not focused. The worker
 * shows the notification a push would show, with the text the page
 * decrypted, unless another window of the app is focused.
 */
export const NotifyMessage = z.object({
  type: z.literal("notify_message"),
  payload: MessagePush.omit({ preview: true }),
  text: z.string().max(4 * PREVIEW_TEXT_CHARS),
});
export type NotifyMessage = z.infer<typeof NotifyMessage>;
