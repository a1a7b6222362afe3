import {
  PREVIEW_PREFIX,
  PREVIEW_TEXT_CHARS,
  encryptedPreview,
} from "../../../protocol/push.ts";
import type { MessengerDb } from "../data/db.ts";
import { fromBase64url, fromUtf8, toBase64url, utf8 } from "./encoding.ts";

/**
 * Encrypted notification previews. A push reaches a device whose app is
 * closed, so its service worker cannot run the chat's MLS group to read
 * the message. The sender therefore adds a short preview of the text,
 * encrypted with a key that every member derives from the group's MLS
 * exporter secret at the current epoch (RFC 9420, section 8.5). The
 * server passes it on; the service worker opens it with the key the app
 * stored for that chat and epoch.
 *
 * Format: `pv1.<epoch>.<base64url(iv ‖ AES-256-GCM ciphertext)>`, with the
 * chat id and message id as additional data, so a preview cannot be moved
 * to another message.
 */

const IV_BYTES = 12;

/** Epochs of preview keys kept per chat, the current one included. */
export const KEPT_PREVIEW_EPOCHS = 5;

function additionalData(
  chatId: string,
  messageId: string,
): Uint8Array<ArrayBuffer> {
  return utf8.encode(`${chatId}/${messageId}`);
}

/** Shortens text to PREVIEW_TEXT_CHARS, without splitting a surrogate pair. */
export function clipPreview(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(flat);
  if (chars.length <= PREVIEW_TEXT_CHARS) return flat;
  return chars.slice(0, PREVIEW_TEXT_CHARS - 1).join("") + "…";
}

/**
 * Encrypts `text` as the preview of message `messageId`, with the key of
 * the chat's newest stored epoch. Returns undefined when this device has
 * no preview key for the chat yet.
 */
export async function sealPreview(
  db: MessengerDb,
  chatId: string,
  messageId: string,
  text: string,
): Promise<string | undefined> {
  const row = await db.previewKeys
    .where("[chatId+epoch]")
    .between([chatId, 0], [chatId, Number.MAX_SAFE_INTEGER])
    .last();
  if (row === undefined) return undefined;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv,
      additionalData: additionalData(chatId, messageId),
    },
    row.key,
    utf8.encode(clipPreview(text)),
  );
  const bytes = new Uint8Array(IV_BYTES + sealed.byteLength);
  bytes.set(iv);
  bytes.set(new Uint8Array(sealed), IV_BYTES);
  return `${PREVIEW_PREFIX}${row.epoch}.${toBase64url(bytes)}`;
}

/**
 * Decrypts the preview of message `messageId`. Returns null when the
 * preview is malformed or fails authentication, or when this device has
 * no key for its epoch.
 */
export async function openPreview(
  db: MessengerDb,
  chatId: string,
  messageId: string,
  preview: string,
): Promise<string | null> {
  if (!encryptedPreview.safeParse(preview).success) return null;
  const [, epochText, data] = preview.split(".");
  const epoch = Number(epochText);
  const decoded = fromBase64url(data ?? "");
  const bytes = decoded === null ? null : new Uint8Array(decoded);
  if (!Number.isSafeInteger(epoch) || bytes === null) return null;
  if (bytes.length <= IV_BYTES) return null;
  const row = await db.previewKeys.get([chatId, epoch]);
  if (row === undefined) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(0, IV_BYTES),
        additionalData: additionalData(chatId, messageId),
      },
      row.key,
      bytes.subarray(IV_BYTES),
    );
    return clipPreview(fromUtf8.decode(plain));
  } catch {
    return null;
  }
}
