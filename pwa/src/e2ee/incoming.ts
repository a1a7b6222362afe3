import type { StoredMessage } from "../../../protocol/index.ts";
import { CommitEvent, ENCRYPTED_BODY_PREFIX } from "../../../protocol/mls.ts";
import {
  decryptMessage,
  MlsOperationError,
  processCommit,
  type MlsStore,
} from "../crypto/index.ts";
import { encodeNotice, type Notice } from "../data/codec.ts";
import { log } from "../data/log.ts";
import { joinedKey } from "./groups.ts";
import { noteKeyChanges } from "./key-changes.ts";
import type { EngineOptions } from "./types.ts";

/** The outcome of decrypting one batch of a chat's messages. */
export interface IncomingResult {
  messages: StoredMessage[];
  /** A commit was applied, so bodies kept encrypted may decrypt now. */
  moved: boolean;
}

/** Hooks the decryption needs from the engine. */
export interface IncomingContext {
  options: EngineOptions;
  store: MlsStore;
  /**
   * Joins from a waiting Welcome, or requests an add without one. Returns
   * true when a group exists now.
   */
  join: (chatId: string) => Promise<boolean>;
  /** A system message or commit changed who is in the chat's group. */
  membershipChanged: (chatId: string) => void;
  /** Plaintexts decrypted lately by message id, which this adds to. */
  recent: Map<string, string>;
}

/** Plaintexts kept in `IncomingContext.recent`. */
const RECENT_LIMIT = 1000;

export function isEncrypted(body: string): boolean {
  return body.startsWith(ENCRYPTED_BODY_PREFIX);
}

/**
 * Applies the commits of one chat's messages in sequence order and
 * replaces each `mls1:` body by its plaintext. A body this device already
 * stores in plaintext (its own sends, or one decrypted before) is taken
 * from the stored row, because MLS decrypts each message once and cannot
 * decrypt the sender's own messages. A body that cannot be decrypted yet
 * stays encrypted, and one that never will becomes a notice.
 */
export async function decryptIncoming(
  context: IncomingContext,
  chatId: string,
  messages: StoredMessage[],
): Promise<IncomingResult> {
  const known = await storedPlaintext(context, messages);
  const output = new Map<StoredMessage, StoredMessage>();
  let moved = false;
  let joinTried = false;
  const ordered = [...messages].sort((a, b) => a.seq - b.seq);
  for (const message of ordered) {
    if (message.deleted || message.chatId !== chatId) continue;
    if (message.kind === "commit") {
      moved = (await applyCommit(context, message)) || moved;
      continue;
    }
    if (message.kind === "system") {
      context.membershipChanged(chatId);
      continue;
    }
    if (!isEncrypted(message.body)) continue;
    const stored = known.get(message.id);
    if (stored !== undefined) {
      output.set(message, { ...message, body: stored });
      continue;
    }
    let outcome = await decryptBody(context, message);
    if (outcome.kind === "no_group" && !joinTried) {
      joinTried = true;
      if (await context.join(chatId)) {
        // Bodies held by earlier batches may be readable in the new group.
        moved = true;
        outcome = await decryptBody(context, message);
      }
    }
    if (outcome.kind === "body") {
      output.set(message, { ...message, body: outcome.body });
      remember(context.recent, message.id, outcome.body);
    }
  }
  return {
    messages: messages.map((message) => output.get(message) ?? message),
    moved,
  };
}

/**
 * The body to store, or why the message stays encrypted for now: this
 * device has no group state for the chat (`no_group`), or the message is
 * from an epoch whose commit has not been applied yet (`later`).
 */
type DecryptOutcome =
  { kind: "body"; body: string } | { kind: "no_group" } | { kind: "later" };

async function decryptBody(
  context: IncomingContext,
  message: StoredMessage,
): Promise<DecryptOutcome> {
  const { options, store } = context;
  if (message.senderDeviceId === options.deviceId) {
    // This device's own message whose local copy is gone.
    return noticeFor(message, "undecryptable");
  }
  try {
    const body = await decryptMessage(
      store,
      message.chatId,
      message.body,
      message.id,
    );
    return { kind: "body", body };
  } catch (error) {
    if (!(error instanceof MlsOperationError)) throw error;
    switch (error.code) {
      case "no_group":
        return { kind: "no_group" };
      case "wrong_epoch":
        return { kind: "later" };
      case "undecryptable": {
        const joinedSeq = await options.db.kv.get(joinedKey(message.chatId));
        const before = message.seq <= Number(joinedSeq?.value ?? 0);
        return noticeFor(message, before ? "before_join" : "undecryptable");
      }
      default:
        log("e2ee_decrypt_failed", {
          chatId: message.chatId,
          messageId: message.id,
          code: error.code,
        });
        return noticeFor(message, "undecryptable");
    }
  }
}

/**
 * Returns the notice body for a message, or "" for an edit or reaction,
 * which a notice cannot replace and which is ignored when empty.
 */
function noticeFor(message: StoredMessage, notice: Notice): DecryptOutcome {
  const body = message.kind === "message" ? encodeNotice(notice) : "";
  return { kind: "body", body };
}

function remember(recent: Map<string, string>, id: string, body: string) {
  recent.set(id, body);
  if (recent.size > RECENT_LIMIT) {
    recent.delete(recent.keys().next().value!);
  }
}

/** Returns true when the commit moved the group to a new epoch. */
async function applyCommit(
  context: IncomingContext,
  message: StoredMessage,
): Promise<boolean> {
  const chatId = message.chatId;
  let event: CommitEvent;
  try {
    event = CommitEvent.parse(JSON.parse(message.body));
  } catch {
    log("e2ee_commit_invalid", { chatId, seq: message.seq });
    return false;
  }
  context.membershipChanged(chatId);
  if ((await context.store.group(chatId)) === undefined) return false;
  try {
    const outcome = await processCommit(context.store, chatId, event);
    if (outcome.removed) log("e2ee_removed", { chatId, seq: message.seq });
    if (outcome.applied) await noteKeyChanges(chatId, context.options.db);
    return outcome.applied;
  } catch (error) {
    // A gap before this commit is filled by the sync, and the commit
    // comes again with it.
    log("e2ee_commit_failed", {
      chatId,
      seq: message.seq,
      error: String(error),
    });
    return false;
  }
}

/** Plaintext bodies already stored for the messages, by message id. */
async function storedPlaintext(
  context: IncomingContext,
  messages: StoredMessage[],
): Promise<Map<string, string>> {
  const { db } = context.options;
  const ids = messages
    .filter((message) => isEncrypted(message.body) && !message.deleted)
    .map((message) => message.id);
  const known = new Map<string, string>();
  if (ids.length === 0) return known;
  for (const id of ids) {
    const body = context.recent.get(id);
    if (body !== undefined) known.set(id, body);
  }
  const [rows, folds] = await Promise.all([
    db.messages.bulkGet(ids),
    db.folds.bulkGet(ids),
  ]);
  for (const row of [...rows, ...folds]) {
    if (row === undefined || isEncrypted(row.body)) continue;
    if (row.body !== "" && !known.has(row.id)) known.set(row.id, row.body);
  }
  return known;
}

/**
 * Returns the chat's stored messages, edits and reactions whose bodies are
 * still encrypted, as the server sent them, in sequence order.
 */
export async function encryptedRows(
  options: EngineOptions,
  chatId: string,
): Promise<StoredMessage[]> {
  const { db } = options;
  const range = [
    [chatId, 0],
    [chatId, Number.MAX_SAFE_INTEGER],
  ] as const;
  const rows = await db.messages
    .where("[chatId+seq]")
    .between(...range)
    .filter((row) => isEncrypted(row.body))
    .toArray();
  const folds = await db.folds
    .where("[chatId+seq]")
    .between(...range)
    .filter((fold) => isEncrypted(fold.body))
    .toArray();
  const messages: StoredMessage[] = [
    ...rows.map((row) => ({
      id: row.id,
      chatId,
      seq: row.seq ?? 0,
      kind: row.kind === "message" ? ("message" as const) : row.kind,
      ref: null,
      senderId: row.senderId,
      senderDeviceId: row.senderDeviceId,
      body: row.body,
      ts: row.ts,
      deleted: row.deleted,
    })),
    ...folds.map((fold) => ({
      id: fold.id,
      chatId,
      seq: fold.seq ?? 0,
      kind: fold.kind,
      ref: fold.ref,
      senderId: fold.senderId,
      senderDeviceId: null,
      body: fold.body,
      ts: fold.ts,
      deleted: fold.deleted,
    })),
  ];
  return messages.sort((a, b) => a.seq - b.seq);
}
