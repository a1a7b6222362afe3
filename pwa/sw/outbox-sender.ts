import {
  ErrorBody,
  SendMessageReply,
  type ErrorCode,
} from "../../protocol/index.ts";
import { db, type OutboxEntry } from "../src/data/db.ts";
import { log } from "../src/data/log.ts";
import { advanceCursor } from "../src/data/store.ts";

/**
 * Sending the outbox from the service worker, for Background Sync when no
 * page of the app is open. It sends over HTTP (POST
 * /api/chats/:chatId/messages) because only a page has the WebSocket, and
 * writes the results to the same Dexie tables the page reads at its next
 * start.
 *
 * Only new messages (`kind: "message"`) whose body a page has encrypted
 * already (`cipher`) go out here, because the worker has no MLS group
 * state of its own and must never send plaintext. The others wait for the
 * next start of the app.
 *
 * Of the rest, only new messages go out here. Edits, reactions and
 * deletes for everyone stay queued until a page starts and sends them over
 * its socket, because applying their acknowledgements means refolding or
 * restoring their target message, which only the page does.
 */

/** Error codes after which the same request may succeed later. */
const TEMPORARY: ReadonlySet<ErrorCode> = new Set(["rate_limited", "internal"]);

/**
 * Error codes that concern the session rather than the message. A retry in
 * the background cannot fix them, so the entries wait for the next start of the
 * app.
 */
const SESSION_PROBLEM: ReadonlySet<ErrorCode> = new Set([
  "unauthenticated",
  "bad_origin",
]);

type SendOutcome =
  | { kind: "sent"; seq: number; ts: number }
  | { kind: "rejected"; reason: string; code: ErrorCode }
  | { kind: "temporary"; reason: string }
  | { kind: "session"; code: ErrorCode };

/** Error that fails the sync, so the browser retries it later. */
export class TemporarySendFailure extends Error {
  override readonly name = "TemporarySendFailure";
}

/**
 * Sends the queued messages of the outbox one at a time in outbox order.
 * A sent message is recorded as the page records `send.ok`, and one the
 * server rejects for good is marked failed with the server's reason while
 * the rest go on. Raises TemporarySendFailure at the first network error,
 * `rate_limited` or `internal` reply, leaving that entry and those behind
 * it queued, so their order holds.
 */
export async function sendOutbox(): Promise<void> {
  const entries = await db.outbox.orderBy("n").toArray();
  const queued = entries.filter(
    (entry) => entry.state === "queued" && isSendable(entry),
  );
  log("sw.outbox_send_started", { queued: queued.length });
  for (const entry of queued) {
    const ids = { chatId: entry.chatId, messageId: entry.id };
    // A page may have sent, retried or wiped the entry meanwhile. After a
    // logout the cookie may belong to the next account, so an entry that
    // left the outbox must not be posted with it.
    const current = await db.outbox.get(entry.n!);
    if (current?.id !== entry.id || current.state !== "queued") {
      log("sw.send_skipped", ids);
      continue;
    }
    const outcome = await postMessage(entry);
    switch (outcome.kind) {
      case "sent":
        await recordSent(entry, outcome.seq, outcome.ts);
        break;
      case "rejected":
        log("sw.send_rejected", { ...ids, code: outcome.code });
        await markFailed(entry, outcome.reason);
        break;
      case "temporary":
        log("sw.send_deferred", { ...ids, reason: outcome.reason });
        throw new TemporarySendFailure(outcome.reason);
      case "session":
        log("sw.send_stopped", { ...ids, code: outcome.code });
        return;
      default: {
        const unhandled: never = outcome;
        return unhandled;
      }
    }
  }
  log("sw.outbox_send_finished", { queued: queued.length });
}

/** Tells whether new messages wait in the outbox. */
export async function hasQueuedMessages(): Promise<boolean> {
  const queued = await db.outbox
    .filter((entry) => entry.state === "queued" && isSendable(entry))
    .count();
  return queued > 0;
}

function isSendable(entry: OutboxEntry): boolean {
  return entry.kind === "message" && entry.cipher !== undefined;
}

async function postMessage(entry: OutboxEntry): Promise<SendOutcome> {
  const message = {
    id: entry.id,
    kind: entry.kind,
    body: entry.cipher,
    ...(entry.media === undefined ? {} : { media: entry.media }),
    ...(entry.preview === undefined ? {} : { preview: entry.preview }),
  };
  let response: Response;
  try {
    response = await fetch(`/api/chats/${entry.chatId}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(message),
      credentials: "same-origin",
    });
  } catch (error) {
    return { kind: "temporary", reason: `network error: ${String(error)}` };
  }
  const body: unknown = await response.json().catch(() => null);
  if (response.ok) {
    const reply = SendMessageReply.safeParse(body);
    if (reply.success) return { kind: "sent", ...reply.data };
    return { kind: "temporary", reason: "invalid reply to a send" };
  }
  return classifyError(response.status, body);
}

function classifyError(status: number, body: unknown): SendOutcome {
  const parsed = ErrorBody.safeParse(
    typeof body === "object" && body !== null
      ? (body as { error?: unknown }).error
      : undefined,
  );
  // A reply without an error body came from something in between (a proxy
  // or the runtime), not from the route, so the message may still be valid.
  if (!parsed.success) {
    return { kind: "temporary", reason: `HTTP ${status} without error body` };
  }
  const error = parsed.data;
  if (TEMPORARY.has(error.code)) {
    return { kind: "temporary", reason: error.code };
  }
  if (SESSION_PROBLEM.has(error.code)) {
    return { kind: "session", code: error.code };
  }
  return { kind: "rejected", reason: error.message, code: error.code };
}

/**
 * Records a stored message as the page's `acknowledge` does for a
 * `send.ok`: the entry leaves the outbox and the row gets its sequence and
 * server time. A row that already has a sequence (the page acknowledged it
 * first) is left as it is.
 */
async function recordSent(
  entry: OutboxEntry,
  seq: number,
  ts: number,
): Promise<void> {
  const tables = [db.outbox, db.messages, db.folds, db.cursors];
  await db.transaction("rw", tables, async () => {
    await db.outbox.where("id").equals(entry.id).delete();
    const row = await db.messages.get(entry.id);
    if (row !== undefined && row.seq === null) {
      const order = row.hidden ? row.order : seq;
      await db.messages.put({ ...row, seq, ts, order, status: "sent" });
    }
    await advanceCursor(entry.chatId);
  });
}

/**
 * Marks a message rejected for good as failed with the server's reason, as
 * the page does, so the person can edit, retry or delete it. An entry the
 * page sent or changed in the meantime is left alone.
 */
async function markFailed(entry: OutboxEntry, reason: string): Promise<void> {
  await db.transaction("rw", [db.outbox, db.messages], async () => {
    const current = await db.outbox.get(entry.n!);
    if (current?.id !== entry.id || current.state !== "queued") return;
    await db.outbox.update(entry.n!, { state: "failed" });
    await db.messages.update(entry.id, { status: "failed", error: reason });
  });
}
