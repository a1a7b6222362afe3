/**
 * The title and body of notifications, from what the service worker read
 * in IndexedDB and decrypted. Pure, so the wording is tested in Node.
 */

/** Title and body shown when nothing better is known. */
export const NEW_MESSAGE_TEXT = "New message";

/** The input of `messageNotificationText`, read for a `message` push. */
export interface MessageNotificationInput {
  /** The chat as stored on this device, or null when it is unknown. */
  chat: { kind: "direct" | "group"; title: string } | null;
  /** The sender as the app names them. */
  senderName: string;
  /** Unread messages of the chat, the new one included. */
  unread: number;
  /** The decrypted preview, or null when there is none or it failed. */
  previewText: string | null;
  /** The person's "Show message previews" setting on this device. */
  previewsEnabled: boolean;
}

export interface NotificationText {
  title: string;
  body: string;
}

/**
 * Builds a chat's one notification: titled with the sender of a direct
 * chat or the group's name, and saying how many messages are new when
 * more than one is. The message text shows only with previews on and a
 * preview that decrypted, prefixed with the sender's name in groups.
 */
export function messageNotificationText(
  input: MessageNotificationInput,
): NotificationText {
  const { chat, unread } = input;
  const title = chat === null ? NEW_MESSAGE_TEXT : chat.title;
  const text = input.previewsEnabled ? input.previewText : null;
  const line =
    text === null || chat?.kind !== "group"
      ? text
      : `${input.senderName}: ${text}`;
  if (unread > 1) {
    const count = `${unread} new messages`;
    return { title, body: line === null ? count : `${count}\n${line}` };
  }
  if (line !== null) return { title, body: line };
  // An unknown chat already has "New message" as its title.
  return { title, body: chat === null ? "" : NEW_MESSAGE_TEXT };
}

/** Builds the notification of an incoming call from `callerName`. */
export function callNotificationText(
  video: boolean,
  callerName: string,
): NotificationText {
  return {
    title: video ? "Incoming video call" : "Incoming voice call",
    body: callerName,
  };
}
