import type { StoredMessage } from "../../../protocol/index.ts";
import type { EncryptionEngine } from "../e2ee/index.ts";
import { apiRequest } from "./api.ts";
import { db, type OutboxEntry } from "./db.ts";
import { onEncryptionFrame } from "./encryption-events.ts";
import { log } from "./log.ts";
import { pumpOutbox } from "./outbox.ts";
import { applyMessages } from "./store.ts";
import { decodeMessage, decodeSystem, isEncryptedBody } from "./codec.ts";
import { refreshDetailBefore } from "./people.ts";
import { refreshProfiles } from "./profiles.ts";
import { notificationTextOf } from "./rows.ts";
import { ApiFailure, type Session } from "./types.ts";
import { newRid, sendFrame } from "./wire.ts";
import { MAX_HISTORY_PAGE } from "../../../protocol/index.ts";

/**
 * The first-screen side of end-to-end encryption. The engine (pwa/src/e2ee)
 * pulls in ts-mls, so the leader tab loads it with `import()` once signed
 * in, and the outbox and the sync engine reach it through this module.
 */

let engine: Promise<EncryptionEngine | null> | null = null;
let stopFrames: (() => void) | null = null;
/** Time after which sends that waited for a group are tried again. */
const WAITING_RETRY_MS = 15_000;
let retryTimer: ReturnType<typeof setTimeout> | undefined;

/** Loads and starts the engine for the session; leader tab only. */
export function startEncryption(session: Session): void {
  if (engine !== null) return;
  const me = session.me.id;
  engine = import("../e2ee/index.ts")
    .then(({ EncryptionEngine }) =>
      EncryptionEngine.start({
        db,
        userId: me,
        deviceId: session.deviceId,
        http: (method, path, schema, body) =>
          apiRequest(method, path, schema, body),
        requestNewest,
        restore: async (chatId, messages) => {
          const current = await engine;
          if (current === null) return;
          const decrypted = await current.decrypt(chatId, messages);
          await applyMessages(chatId, decrypted, me);
          await current.releasePlaintexts(messages);
        },
        chatReady: () => void pumpOutbox(),
      }),
    )
    .then((started) => {
      stopFrames = onEncryptionFrame((frame) => started.handleFrame(frame));
      void started.retryAll();
      void pumpOutbox();
      return started;
    })
    .catch((error: unknown) => {
      log("e2ee_start_failed", { error: String(error) });
      return null;
    });
}

/** Stops the engine, when this tab stops leading or signs out. */
export function stopEncryption(): void {
  stopFrames?.();
  stopFrames = null;
  engine = null;
  clearTimeout(retryTimer);
}

export function requestNewest(chatId: string): void {
  void (async () => {
    const cursor = await db.cursors.get(chatId);
    sendFrame({
      type: "history",
      rid: newRid(),
      chatId,
      afterSeq: cursor?.seq ?? 0,
      limit: MAX_HISTORY_PAGE,
    });
  })();
}

/** Makes a chat's MLS group ready; leader tab only. */
export async function prepareGroup(chatId: string): Promise<void> {
  await (await engine)?.prepareGroup(chatId);
}

/** Marks a chat's group for a check before the next send. */
export async function membershipChanged(chatId: string): Promise<void> {
  (await engine)?.invalidate(chatId);
}

function needsEngine(message: StoredMessage): boolean {
  return (
    message.kind === "commit" ||
    message.kind === "system" ||
    isEncryptedBody(message.body)
  );
}

/** System events that change who is in a chat or their role in it. */
const MEMBERSHIP_EVENTS: ReadonlySet<string> = new Set([
  "added",
  "removed",
  "left",
  "deleted",
  "promoted",
  "demoted",
]);

/**
 * Follows the system events of incoming messages. The profiles of people
 * whose account was deleted are fetched again, so that "Deleted account"
 * replaces their cached name and photo. The chat's members are fetched
 * again when a membership change is newer than the cached list, because a
 * device that was offline gets such changes without the `chat` frame.
 */
function followSystemEvents(chatId: string, messages: StoredMessage[]): void {
  const deleted: string[] = [];
  let newest = 0;
  for (const message of messages) {
    if (message.kind !== "system") continue;
    const event = decodeSystem(message.body);
    if (event === null || !MEMBERSHIP_EVENTS.has(event.event)) continue;
    newest = Math.max(newest, message.seq);
    if (event.event === "deleted") deleted.push(event.actorId);
  }
  if (deleted.length > 0) refreshProfiles(deleted);
  if (newest > 0) void refreshDetailBefore(chatId, newest);
}

/**
 * Stores server messages as `applyMessages` does, after the engine has
 * applied their commits and decrypted their bodies.
 */
export async function applyIncoming(
  chatId: string,
  messages: StoredMessage[],
  me: string,
  pageAfterSeq?: number,
) {
  followSystemEvents(chatId, messages);
  const current = messages.some(needsEngine) ? await engine : null;
  if (current === null || current === undefined) {
    return applyMessages(chatId, messages, me, pageAfterSeq);
  }
  const decrypted = await current.decrypt(chatId, messages);
  const applied = await applyMessages(chatId, decrypted, me, pageAfterSeq);
  await current.releasePlaintexts(messages);
  return applied;
}

/**
 * The body to send for an outbox entry, `wait` while the chat's group is
 * not ready, or `rejected` when the server refused the group check for
 * good (this device's person left the chat), with the server's reason.
 */
export type SendBody =
  | { kind: "body"; body: string; preview?: string }
  | { kind: "wait" }
  | { kind: "rejected"; reason: string };

/**
 * Returns the body to send for an outbox entry: its plaintext encrypted
 * for the chat's group, stored on the entry for the service worker too.
 * A chat that waits for its group is tried again later. A tab that never
 * started the engine (no session) sends the body as it is.
 */
export async function encryptForSend(entry: OutboxEntry): Promise<SendBody> {
  if (engine === null) return { kind: "body", body: entry.body };
  const current = await engine;
  let body: string | null = null;
  try {
    body = current && (await current.encrypt(entry.chatId, entry.body));
  } catch (error) {
    if (error instanceof ApiFailure && PERMANENT.has(error.code)) {
      return { kind: "rejected", reason: error.message };
    }
    log("e2ee_send_not_ready", {
      chatId: entry.chatId,
      messageId: entry.id,
      error: String(error),
    });
  }
  if (body === null) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void pumpOutbox(), WAITING_RETRY_MS);
    return { kind: "wait" };
  }
  const preview = await previewFor(current, entry);
  await db.outbox
    .where("id")
    .equals(entry.id)
    .modify(
      preview === undefined ? { cipher: body } : { cipher: body, preview },
    );
  return preview === undefined
    ? { kind: "body", body }
    : { kind: "body", body, preview };
}

/**
 * Returns the encrypted notification preview of a message entry: its
 * text, the kind of its file ("Photo"), or both. A failure only costs
 * the preview.
 */
async function previewFor(
  current: EncryptionEngine | null,
  entry: OutboxEntry,
): Promise<string | undefined> {
  if (current === null || entry.kind !== "message") return undefined;
  const decoded = decodeMessage(entry.body);
  const text = notificationTextOf(decoded.text, decoded.media);
  if (text === "") return undefined;
  try {
    return await current.sealPreview(entry.chatId, entry.id, text);
  } catch (error) {
    log("e2ee_preview_failed", { chatId: entry.chatId, error: String(error) });
    return undefined;
  }
}

/** Replies to the group check after which a send can never succeed. */
const PERMANENT: ReadonlySet<string> = new Set(["forbidden", "not_found"]);

/**
 * Encrypts a queued entry with the stored group state while offline, so
 * the service worker can send it if every tab closes first.
 */
export async function encryptAhead(entry: OutboxEntry): Promise<void> {
  const current = engine === null ? null : await engine;
  if (current === null || entry.kind === "delete") return;
  const body = await current.encryptOffline(entry.chatId, entry.body);
  if (body === null) return;
  const preview = await previewFor(current, entry);
  await db.outbox
    .where("id")
    .equals(entry.id)
    .modify(
      preview === undefined ? { cipher: body } : { cipher: body, preview },
    );
}
