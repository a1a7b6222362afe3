import {
  MAX_REPORTED_MESSAGES,
  MAX_REPORTED_TEXT_CHARS,
  ReportChatReply,
  type ReportedMessage,
  type ReportReason,
} from "../../../protocol/reports.ts";
import { apiRequest } from "./api.ts";
import { db } from "./db.ts";

/**
 * Returns the newest messages of `chatId` that this device shows, oldest
 * first: at most MAX_REPORTED_MESSAGES sent messages with text, skipping
 * system messages and those deleted for everyone or for me.
 */
export async function reportEvidence(
  chatId: string,
): Promise<ReportedMessage[]> {
  const rows = await db.messages
    .where("[chatId+order]")
    .between([chatId, -Infinity], [chatId, Infinity])
    .reverse()
    .filter(
      (row) =>
        row.kind === "message" &&
        row.seq !== null &&
        !row.deleted &&
        !row.hidden &&
        row.text !== "",
    )
    .limit(MAX_REPORTED_MESSAGES)
    .toArray();
  return rows.reverse().map((row) => ({
    id: row.id,
    senderId: row.senderId,
    sentAt: row.ts,
    text: row.text.slice(0, MAX_REPORTED_TEXT_CHARS),
  }));
}

/**
 * Reports `chatId` to the operators with its newest messages, decrypted
 * on this device. Returns the report's id.
 */
export async function reportChat(
  chatId: string,
  reason: ReportReason,
): Promise<string> {
  const messages = await reportEvidence(chatId);
  const reply = await apiRequest(
    "POST",
    `/chats/${encodeURIComponent(chatId)}/report`,
    ReportChatReply,
    { reason, messages },
  );
  return reply.reportId;
}
