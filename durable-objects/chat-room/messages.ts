import {
  ApiError,
  DELETE_FOR_EVERYONE_WINDOW_MS,
  type OutgoingMessage,
  type StoredMessage,
} from "../../protocol/index.ts";
import type { Fanout } from "./fanout.ts";
import type { RoomMedia } from "./media.ts";
import type { MediaCleanup } from "./media-cleanup.ts";
import { requireMember } from "./membership.ts";
import type { RoomStore } from "./store.ts";
import type { SendResult } from "./types.ts";
import type { TypingRelay } from "./typing.ts";

const BLOCKED = "You can't message this person.";
const PEER_DELETED =
  "This account was deleted, so messages can't be sent to this chat.";

/**
 * Stores a message and sends it to the hubs of the other members, or
 * returns the original seq and ts when this id was already stored by the
 * same sender (a resend). The sender's hub records the stored message
 * itself from the result, which saves one call per message. The other
 * hubs get the message with the sender's encrypted preview, which is not
 * stored. The files a
 * message lists are attached to it in the same storage step as its insert.
 */
export function sendMessage(
  store: RoomStore,
  fanout: Fanout,
  typingRelay: TypingRelay,
  media: RoomMedia,
  sender: { userId: string; deviceId: string },
  message: OutgoingMessage,
): SendResult {
  const senderId = sender.userId;
  if (!store.isMember(senderId)) requireMember(store, senderId);
  if (store.chat()?.kind === "direct") {
    if (typingRelay.isBlockedByOther(senderId)) {
      throw new ApiError("forbidden", BLOCKED);
    }
    if (store.memberIds().length < 2)
      throw new ApiError("forbidden", PEER_DELETED);
  }
  const newMessage = {
    id: message.id,
    kind: message.kind,
    ref: message.ref ?? null,
    senderId,
    senderDeviceId: sender.deviceId,
    body: message.body,
    ts: Date.now(),
  };
  // A plain message needs no check against the log, so it is inserted at
  // once and the id is looked up only when the insert finds it stored.
  // Edits, reactions and messages with files check their target or files
  // first, after the resend check.
  let stored: StoredMessage | undefined;
  if (message.kind === "message" && message.media === undefined) {
    stored = store.insertMessageUnlessStored(newMessage);
  }
  if (stored === undefined) {
    const existing = store.messageById(message.id);
    if (existing !== undefined) {
      if (existing.senderId !== senderId) {
        throw new ApiError(
          "conflict",
          `Message id ${message.id} is already used.`,
          "message.id",
        );
      }
      return { seq: existing.seq, ts: existing.ts, stored: null };
    }
    checkRef(store, senderId, message);
    if (message.media !== undefined) {
      media.checkAttachable(senderId, message.media);
    }
    stored = store.insertMessage(newMessage);
    if (message.media !== undefined) media.attach(message.media, stored.id);
  }
  // The preview rides on the live copy for the hubs' pushes only; the log
  // and the sender's reply keep the stored message without it.
  fanout.message(
    message.preview === undefined
      ? stored
      : { ...stored, preview: message.preview },
  );
  typingRelay.messageSent(senderId);
  return { seq: stored.seq, ts: stored.ts, stored };
}

/** Edits need the sender's own message; reactions any visible one. */
function checkRef(
  store: RoomStore,
  senderId: string,
  message: OutgoingMessage,
): void {
  if (message.kind === "message") return;
  const target = store.messageById(message.ref ?? "");
  const range = store.readableRange(senderId);
  if (
    target === undefined ||
    range === undefined ||
    target.seq < range.fromSeq
  ) {
    throw new ApiError(
      "not_found",
      `Message ${message.ref} does not exist in this chat.`,
      "message.ref",
    );
  }
  if (target.deleted) {
    throw new ApiError(
      "not_found",
      `Message ${message.ref} was deleted.`,
      "message.ref",
    );
  }
  if (
    message.kind === "edit" &&
    (target.kind !== "message" || target.senderId !== senderId)
  ) {
    throw new ApiError(
      "forbidden",
      "You can only edit your own messages.",
      "message.ref",
    );
  }
  if (message.kind === "reaction" && target.kind !== "message") {
    throw new ApiError(
      "forbidden",
      "Reactions apply to messages only.",
      "message.ref",
    );
  }
}

/**
 * Deletes the author's own message for everyone within
 * DELETE_FOR_EVERYONE_WINDOW_MS of sending, with its edits and reactions,
 * and queues the R2 objects of its files for deletion.
 */
export function deleteForEveryone(
  store: RoomStore,
  fanout: Fanout,
  mediaCleanup: MediaCleanup,
  userId: string,
  messageId: string,
): { seq: number } {
  requireMember(store, userId);
  const message = store.messageById(messageId);
  const range = store.readableRange(userId);
  if (
    message === undefined ||
    range === undefined ||
    message.seq < range.fromSeq
  ) {
    throw new ApiError(
      "not_found",
      `Message ${messageId} does not exist in this chat.`,
      "messageId",
    );
  }
  if (message.senderId !== userId || message.kind !== "message") {
    throw new ApiError(
      "forbidden",
      "You can only delete your own messages for everyone.",
      "messageId",
    );
  }
  if (Date.now() - message.ts > DELETE_FOR_EVERYONE_WINDOW_MS) {
    const hours = DELETE_FOR_EVERYONE_WINDOW_MS / 3_600_000;
    throw new ApiError(
      "forbidden",
      `Messages can be deleted for everyone only within ${hours} hours of sending.`,
      "messageId",
    );
  }
  if (!message.deleted) {
    store.markDeleted(messageId);
    mediaCleanup.trashAttached(messageId);
    fanout.deleted(message);
  }
  return { seq: message.seq };
}
