import { newId } from "../data/uuid.ts";
import {
  MAX_MEDIA_BYTES,
  MAX_TEXT_BYTES,
  utf8Length,
} from "../../../protocol/index.ts";
import { toBase64url } from "../crypto/encoding.ts";
import { apiRequest } from "../data/api.ts";
import { encodeMessage } from "../data/codec.ts";
import { db, pendingMessageRow, type UploadRow } from "../data/db.ts";
import { log } from "../data/log.ts";
import { pumpOutbox, retryFailed } from "../data/outbox.ts";
import { session } from "../data/state.ts";
import { guardStorage } from "../data/storage.ts";
import type { StoredRow } from "../data/db.ts";
import { newFileSecret } from "./crypto.ts";
import {
  MAX_MEDIA_NAME_CHARS,
  MAX_MIME_CHARS,
  MediaItemSchema,
} from "./schema.ts";
import { setTransfer } from "./transfers.ts";
import type { MediaItem } from "./types.ts";
import { abortUpload } from "./upload.ts";

/** A file the person chose, with what the UI measured of it. */
export interface OutgoingFile {
  /** A File from a picker, a pasted Blob, or a recorded voice note. */
  file: Blob;
  /** The original name, "" for a voice note. */
  name: string;
  /** `file.type`, "" when unknown. */
  mime: string;
  kind: MediaItem["kind"];
  /** The caption, "" for none. */
  caption: string;
  width?: number;
  height?: number;
  /** Seconds. */
  duration?: number;
  /** A data URL of a JPEG of at most 64 px. */
  preview?: string;
  /** base64url loudness levels of a voice note. */
  waveform?: string;
}

/** Stand-in for the hash of a file still uploading. */
const PENDING_HASH = "";

const KINDS: ReadonlySet<string> = new Set(MediaItemSchema.shape.kind.options);

/** Raises an Error for the person when a file cannot be sent. */
function checkFile(file: OutgoingFile): void {
  const label = file.name === "" ? "This file" : `"${file.name}"`;
  if (!KINDS.has(file.kind)) {
    throw new Error(
      `${label} has the invalid kind "${file.kind}"; expected one of ${[...KINDS].join(", ")}.`,
    );
  }
  if (file.file.size > MAX_MEDIA_BYTES) {
    const gib = (file.file.size / 2 ** 30).toFixed(1);
    throw new Error(
      `${label} is too large (${gib} GB). Files up to 2 GB can be sent.`,
    );
  }
  const bytes = utf8Length(file.caption);
  if (bytes > MAX_TEXT_BYTES) {
    throw new Error(
      `The caption of ${label} is too long (${Math.ceil(bytes / 1024)} KB, max ${MAX_TEXT_BYTES / 1024} KB).`,
    );
  }
}

/**
 * Returns a random id in the form of a media id, used until the server
 * assigns one.
 */
function localMediaId(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * Returns the MediaItem of a file about to upload. A measured value that
 * recipients would reject (a preview too large, a fractional width) is
 * left out, so the file itself still arrives.
 */
export function newMediaItem(file: OutgoingFile): MediaItem {
  const item: MediaItem = {
    id: localMediaId(),
    kind: file.kind,
    // Recipients drop media whose type or name is over the limits.
    mime: file.mime.length <= MAX_MIME_CHARS ? file.mime : "",
    name: shortenName(file.name),
    size: file.file.size,
    ...newFileSecret(),
    hash: PENDING_HASH,
  };
  const optional = {
    width: file.width === undefined ? undefined : Math.round(file.width),
    height: file.height === undefined ? undefined : Math.round(file.height),
    duration: file.duration,
    preview: file.preview,
    waveform: file.waveform,
  };
  const shape = MediaItemSchema.shape;
  for (const [key, value] of Object.entries(optional)) {
    const field = shape[key as keyof typeof optional];
    if (value !== undefined && field.safeParse(value).success) {
      Object.assign(item, { [key]: value });
    }
  }
  return item;
}

/**
 * Returns `name` cut to MAX_MEDIA_NAME_CHARS, keeping its extension and
 * whole UTF-16 surrogate pairs.
 */
export function shortenName(name: string): string {
  if (name.length <= MAX_MEDIA_NAME_CHARS) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : "";
  const characters = [...name.slice(0, name.length - extension.length)];
  let stem = "";
  for (const character of characters) {
    if (
      stem.length + character.length + extension.length >
      MAX_MEDIA_NAME_CHARS
    ) {
      break;
    }
    stem += character;
  }
  return stem + extension;
}

function pendingRow(
  upload: UploadRow,
  me: { userId: string; deviceId: string },
  ts: number,
): StoredRow {
  return pendingMessageRow({
    id: upload.messageId,
    chatId: upload.chatId,
    senderId: me.userId,
    senderDeviceId: me.deviceId,
    ts,
    text: upload.caption,
    replyTo: upload.replyTo,
    media: upload.item,
    body: encodeMessage(
      upload.caption,
      upload.replyTo ?? undefined,
      upload.item,
    ),
  });
}

/**
 * Sends each file as its own message with its caption. The messages show
 * at once as pending, and their uploads start in the tab that runs the
 * outbox. Rejects before queuing anything when a file is too large.
 * NOTE: a message enters the outbox only once its file is uploaded, so a
 * text sent meanwhile reaches the chat before it.
 */
export async function sendMedia(
  chatId: string,
  files: OutgoingFile[],
  replyTo?: string,
): Promise<void> {
  const current = session.value;
  if (!current) throw new Error("Sign in first.");
  if (files.length === 0) throw new Error("Choose at least one file.");
  files.forEach(checkFile);
  const me = { userId: current.me.id, deviceId: current.deviceId };
  const now = Date.now();
  const uploads: UploadRow[] = files.map((file) => ({
    messageId: newId(),
    chatId,
    mediaId: null,
    file: file.file,
    item: newMediaItem(file),
    caption: file.caption,
    replyTo: replyTo ?? null,
    done: [],
    digests: [],
    state: "queued",
    error: null,
  }));
  const tables = [db.messages, db.uploads, db.chats];
  await guardStorage(() =>
    db.transaction("rw", tables, async () => {
      for (const [index, upload] of uploads.entries()) {
        await db.messages.add(pendingRow(upload, me, now + index));
        await db.uploads.add(upload);
      }
      await db.chats.update(chatId, { lastActivityAt: now });
    }),
  );
  for (const upload of uploads) {
    const total = upload.file.size;
    setTransfer(upload.item.id, {
      direction: "up",
      loaded: 0,
      total,
      state: "running",
    });
    log("upload_queued", { chatId, messageId: upload.messageId, size: total });
  }
  await pumpOutbox();
}

/**
 * Cancels the upload of an own message not yet sent, deletes the upload
 * on the server and removes the message.
 * NOTE: a message already handed to the socket may still be stored by the
 * server, and then comes back with the next sync.
 */
export async function cancelUpload(
  chatId: string,
  messageId: string,
): Promise<void> {
  abortUpload(messageId);
  const tables = [db.uploads, db.outbox, db.messages];
  const cancelled = await db.transaction("rw", tables, async () => {
    const upload = await db.uploads.get(messageId);
    const entry = await db.outbox.where("id").equals(messageId).first();
    const row = await db.messages.get(messageId);
    if (row === undefined || row.chatId !== chatId || row.seq !== null) {
      return null;
    }
    await db.uploads.delete(messageId);
    if (entry !== undefined) await db.outbox.delete(entry.n!);
    await db.messages.delete(messageId);
    return {
      localId: upload?.item.id ?? row.media?.id ?? null,
      mediaId: upload?.mediaId ?? entry?.media?.[0] ?? null,
    };
  });
  if (cancelled === null) return;
  log("upload_cancel_requested", { chatId, messageId });
  if (cancelled.localId !== null) setTransfer(cancelled.localId, undefined);
  if (cancelled.mediaId !== null) {
    await deleteUpload(chatId, cancelled.mediaId);
  }
}

/** Deletes an upload on the server; a failure leaves it to expire. */
async function deleteUpload(chatId: string, mediaId: string): Promise<void> {
  try {
    await apiRequest("DELETE", `/chats/${chatId}/media/${mediaId}`, null);
  } catch (error) {
    // The server deletes uploads never attached after a day anyway.
    log("upload_delete_failed", { chatId, mediaId, error: String(error) });
  }
}

/** Queues a failed upload again; the message shows as pending. */
export async function retryUpload(
  chatId: string,
  messageId: string,
): Promise<void> {
  const row = await db.messages.get(messageId);
  if (row?.chatId !== chatId) return;
  await retryFailed(messageId);
}
