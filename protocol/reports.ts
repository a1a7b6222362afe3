import { z } from "zod";
import { messageId, timestamp, userId } from "./ids.ts";

/**
 * Reporting a chat: POST /api/chats/:chatId/report. The server cannot read
 * end-to-end encrypted messages, so the reporter's device sends the newest
 * messages it shows, decrypted, as evidence. The server keeps the report
 * for the operators and sends no member of the chat any message about it. This module is kept apart
 * from protocol/index.ts, so only the Worker and the report dialog load it.
 */

/** Newest messages a report may carry. */
export const MAX_REPORTED_MESSAGES = 5;
/** Characters of one reported message's text. */
export const MAX_REPORTED_TEXT_CHARS = 4096;
/** Reports one person may send per day. */
export const REPORTS_PER_DAY = 10;

export const ReportReason = z.enum(["spam", "abuse", "other"]);
export type ReportReason = z.infer<typeof ReportReason>;

export const ReportedMessage = z.object({
  id: messageId,
  senderId: userId,
  sentAt: timestamp,
  text: z.string().max(MAX_REPORTED_TEXT_CHARS),
});
export type ReportedMessage = z.infer<typeof ReportedMessage>;

export const ReportChatBody = z.object({
  reason: ReportReason,
  messages: z.array(ReportedMessage).max(MAX_REPORTED_MESSAGES),
});
export type ReportChatBody = z.infer<typeof ReportChatBody>;

export const ReportChatReply = z.object({ reportId: z.string() });
export type ReportChatReply = z.infer<typeof ReportChatReply>;
