/**
 * Background Sync tag with which the page requests that its service worker
 * send the outbox once the network is back, even with no page open.
 */
export const OUTBOX_SYNC_TAG = "outbox";
