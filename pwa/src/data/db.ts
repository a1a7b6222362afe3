import { Dexie, type Table } from "dexie";
import type {
  ChatDetail,
  ChatSummary,
  ClientMessageKind,
  Contact,
  PublicProfile,
} from "../../../protocol/index.ts";
import { deleteMediaCache } from "../media/cache.ts";
import type { MediaItem } from "../media/types.ts";
import type { MessageRow, Session } from "./types.ts";

/**
 * Sort key base of messages without a sequence number yet. Sequence numbers
 * stay far below it, so pending and failed messages sort after every stored
 * one, in the order they were written.
 */
export const PENDING_ORDER_BASE = 1e15;

/**
 * Sort key of a row that is never shown, below the visible range (>= 0): a
 * message deleted for me, or an MLS commit.
 */
export const HIDDEN_ORDER = -1;

/** A message row as stored: the public row plus what folding needs. */
export interface StoredRow extends MessageRow {
  /** The body as the server stored it, for refolding ("" when deleted). */
  body: string;
  /** Deleted for me: kept so a resync does not bring it back. */
  hidden: boolean;
}

/** What an unsent own message shows: its sender, time and content. */
export interface PendingMessage {
  id: string;
  chatId: string;
  senderId: string;
  senderDeviceId: string;
  ts: number;
  text: string;
  replyTo: string | null;
  media: MediaItem | null;
  body: string;
}

/**
 * Returns the stored row of an own message that shows with a clock until
 * the server stores it, sorted after every stored message.
 */
export function pendingMessageRow(message: PendingMessage): StoredRow {
  return {
    ...message,
    seq: null,
    order: PENDING_ORDER_BASE + message.ts,
    kind: "message",
    editedAt: null,
    reactions: {},
    deleted: false,
    system: null,
    status: "pending",
    error: null,
    hidden: false,
  };
}

/**
 * An edit or reaction. It is folded into its target row, and kept so that a
 * target arriving later, or a newer edit, can be folded again.
 */
export interface FoldRow {
  id: string;
  chatId: string;
  /** Null while our own edit or reaction waits in the outbox. */
  seq: number | null;
  kind: "edit" | "reaction";
  ref: string;
  senderId: string;
  body: string;
  ts: number;
  deleted: boolean;
}

/**
 * A send or a delete for everyone waiting for its acknowledgement, in order
 * of the auto-increment key `n`. A delete (`kind: "delete"`) is sent as a
 * `delete` frame whose `rid` is `id` and whose `messageId` is `ref`.
 */
export interface OutboxEntry {
  n?: number;
  id: string;
  chatId: string;
  kind: ClientMessageKind | "delete";
  ref?: string;
  /** The plaintext body, encoded by codec.ts. */
  body: string;
  /**
   * The body as last encrypted for the chat's group. The service worker
   * sends only entries that have it, so it never sends plaintext.
   */
  cipher?: string;
  /** The encrypted notification preview made with `cipher`. */
  preview?: string;
  state: "queued" | "failed";
  /** Sends rejected with an `internal` error so far. */
  attempts: number;
  /** Ids of the finished uploads the message refers to. */
  media?: string[];
}

/** Per chat: where the next sync resumes, and what older pages remain. */
export interface CursorRow {
  chatId: string;
  /** Highest sequence this device has with no gap before it since resume. */
  seq: number;
  /** False once the server reported that nothing older exists. */
  hasOlder: boolean;
}

/** A member's receipt positions, as the server last reported them. */
export interface ReceiptRow {
  chatId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/**
 * This device's MLS signature key pair and the ids its credential names.
 * There is at most one row, under the key `"device"`.
 */
export interface MlsIdentityRow {
  id: "device";
  userId: string;
  deviceId: string;
  /** Raw Ed25519 public key. */
  signaturePublicKey: Uint8Array;
  /** Ed25519 private key as ts-mls made it (PKCS #8 from WebCrypto). */
  signaturePrivateKey: Uint8Array;
}

/**
 * The private part of a published KeyPackage, kept until a Welcome uses it.
 * `ref` is the base64url KeyPackageRef (the hash of the KeyPackage defined
 * by MLS), which a Welcome names for each new member.
 */
export interface MlsKeyPackageRow {
  ref: string;
  /** A last-resort KeyPackage is not deleted when a Welcome uses it. */
  kind: "stock" | "last_resort";
  /** The TLS encoding of the public KeyPackage as an `MLSMessage`. */
  keyPackage: Uint8Array;
  initPrivateKey: Uint8Array;
  hpkePrivateKey: Uint8Array;
  createdAt: number;
}

/**
 * A chat's MLS group state, encoded by ts-mls, with the commit this device
 * sent and the server has not put in the chat log yet.
 */
export interface MlsGroupRow {
  chatId: string;
  epoch: number;
  state: Uint8Array;
  pending: MlsPendingCommit | null;
}

/** A commit made at `epoch` and the state it leads to once logged. */
export interface MlsPendingCommit {
  epoch: number;
  /** The commit as sent, an encoded `MLSMessage`. */
  commit: Uint8Array;
  state: Uint8Array;
}

/** A contact's device key set that the user compared and marked verified. */
export interface VerificationRow {
  userId: string;
  /** `keySetHash` of the verified devices' signature public keys. */
  keySetHash: string;
  verifiedAt: number;
}

/** The key set of a person last seen in a chat's MLS group. */
export interface SeenKeySetRow {
  chatId: string;
  userId: string;
  keySetHash: string;
  seenAt: number;
}

/**
 * A change of a person's device keys in a chat's MLS group, shown in the
 * chat. `verified_keys_changed` means the change also cleared the mark of a
 * verified contact.
 */
export interface KeyChangeNoticeRow {
  n?: number;
  chatId: string;
  userId: string;
  ts: number;
  kind: "keys_changed" | "verified_keys_changed";
}

/**
 * A file of a message on this device, by media id: its chat and MediaItem,
 * which the service worker reads to stream and decrypt the file. `cachedBytes`
 * is the size of the decrypted copy in the media cache (Cache Storage),
 * or null while there is none.
 */
export interface MediaFileRow {
  id: string;
  chatId: string;
  /** The message that carries it, null when unknown. */
  messageId: string | null;
  item: MediaItem;
  cachedBytes: number | null;
}

/**
 * An own file being uploaded for the message `messageId`. The Blob itself
 * is stored, so an upload resumes after a reload. `item.id` is a local id
 * until the server's `mediaId` is known, and `item.hash` is "" until the
 * last part is sent.
 */
export interface UploadRow {
  messageId: string;
  chatId: string;
  /** Id of the upload on the server, null before it was created. */
  mediaId: string | null;
  file: Blob;
  item: MediaItem;
  caption: string;
  replyTo: string | null;
  /** Part numbers (1-based) the server confirmed, ascending. */
  done: number[];
  /** SHA-256 of each sent part's ciphertext, base64url, by part - 1. */
  digests: string[];
  /** `queued` runs or waits for the network; `failed` waits for a retry. */
  state: "queued" | "failed";
  /** The reason of a failure, as a sentence for the person. */
  error: string | null;
}

/**
 * The notification preview key of one chat's MLS group at one epoch
 * (crypto/preview.ts), kept so the service worker can read the previews
 * of pushes without the group state.
 */
export interface PreviewKeyRow {
  chatId: string;
  epoch: number;
  /** AES-GCM, not extractable. */
  key: CryptoKey;
}

export interface KeyValueRow {
  key: string;
  value: unknown;
}

export class MessengerDb extends Dexie {
  kv!: Table<KeyValueRow, string>;
  chats!: Table<ChatSummary, string>;
  messages!: Table<StoredRow, string>;
  folds!: Table<FoldRow, string>;
  outbox!: Table<OutboxEntry, number>;
  cursors!: Table<CursorRow, string>;
  profiles!: Table<PublicProfile, string>;
  details!: Table<ChatDetail, string>;
  receipts!: Table<ReceiptRow, [string, string]>;
  contacts!: Table<Contact, string>;
  mlsIdentity!: Table<MlsIdentityRow, string>;
  mlsKeyPackages!: Table<MlsKeyPackageRow, string>;
  mlsGroups!: Table<MlsGroupRow, string>;
  verifications!: Table<VerificationRow, string>;
  seenKeySets!: Table<SeenKeySetRow, [string, string]>;
  keyChangeNotices!: Table<KeyChangeNoticeRow, number>;
  mediaFiles!: Table<MediaFileRow, string>;
  uploads!: Table<UploadRow, string>;
  previewKeys!: Table<PreviewKeyRow, [string, number]>;

  constructor(name = "messenger") {
    super(name);
    this.version(1).stores({
      kv: "key",
      chats: "id",
      messages: "id, chatId, [chatId+order], [chatId+seq]",
      folds: "id, ref, [chatId+seq]",
      outbox: "++n, &id, chatId",
      cursors: "chatId",
      profiles: "id",
      details: "id",
      receipts: "[chatId+userId], chatId",
    });
    // Every message query goes through [chatId+order] or [chatId+seq], so
    // the plain chatId index only cost a write per stored message.
    this.version(2).stores({
      messages: "id, [chatId+order], [chatId+seq]",
    });
    // Saved contacts by phone number, kept for reading offline. The userId
    // index leaves out contacts without an account (null is no valid key).
    this.version(3).stores({
      contacts: "phone, userId",
    });
    // End-to-end encryption: this device's MLS identity, the private parts
    // of its KeyPackages, and one MLS group state per chat.
    this.version(4).stores({
      mlsIdentity: "id",
      mlsKeyPackages: "ref, kind",
      mlsGroups: "chatId",
    });
    // Safety numbers: verified contacts, the key sets last seen per chat,
    // and the key change notices shown in chats.
    this.version(5).stores({
      verifications: "userId",
      seenKeySets: "[chatId+userId]",
      keyChangeNotices: "++n, chatId",
    });
    // Media: the files of messages by media id, and own uploads in
    // progress with their Blobs, by message id. Messages without media
    // have no media.id, so the new index costs them nothing.
    this.version(6).stores({
      messages: "id, [chatId+order], [chatId+seq], media.id",
      mediaFiles: "id, messageId",
      uploads: "messageId, item.id",
    });
    // Notifications: each chat's preview keys by epoch.
    this.version(7).stores({
      previewKeys: "[chatId+epoch], chatId",
    });
    // Calls: the calls tab reads the call entries of every chat by their
    // system event; other messages have no system.event and cost nothing.
    this.version(8).stores({
      messages: "id, [chatId+order], [chatId+seq], media.id, system.event",
    });
  }
}

export const db = new MessengerDb();

const SESSION_KEY = "session";

export async function loadSession(): Promise<Session | null> {
  const row = await db.kv.get(SESSION_KEY);
  return (row?.value as Session | undefined) ?? null;
}

export async function saveSession(value: Session): Promise<void> {
  await db.kv.put({ key: SESSION_KEY, value });
}

/**
 * Deletes every local row (messages, chats, outbox, uploads and the
 * session) and the cached decrypted files.
 */
export async function wipeDatabase(): Promise<void> {
  await db.transaction("rw", db.tables, async () => {
    await Promise.all(db.tables.map((table) => table.clear()));
  });
  await deleteMediaCache();
}
