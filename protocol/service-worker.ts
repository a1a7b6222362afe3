import { z } from "zod";

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
