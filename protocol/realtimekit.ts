import { z } from "zod";

/**
 * Body of the Worker's RealtimeKit token route, kept apart from the
 * socket frames so that only the group call code loads it.
 *
 * POST /api/chats/:chatId/calls/:callId/realtimekit/token returns the
 * participant auth token of the calling device for the call's meeting.
 * Only a device that is a participant of the running call gets one, and
 * only when that call runs on RealtimeKit. The room creates the meeting
 * on the first request of the call and adds each device as a meeting
 * participant once. Later requests of the same device refresh its token.
 */
export const RealtimeKitTokenReply = z.object({
  /** Token for RealtimeKitClient.init({ authToken }). */
  authToken: z.string().min(1).max(8192),
  /** RealtimeKit meeting id of the call. */
  meetingId: z.string().min(1).max(128),
  /**
   * This device's custom participant id in the meeting, which the other
   * devices map back to its room participant.
   */
  participantKey: z.string().min(1).max(128),
});
export type RealtimeKitTokenReply = z.infer<typeof RealtimeKitTokenReply>;

/** Custom participant id of a device in its call's meeting. */
export function realtimeKitParticipantKey(
  userId: string,
  deviceId: string,
): string {
  return `${userId}.${deviceId}`;
}
