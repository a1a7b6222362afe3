import { z } from "zod";
import { CallDescription } from "./calls.ts";
import { trackName } from "./group-calls.ts";

/**
 * Bodies of the Worker's SFU proxy, kept apart from the socket frames so
 * that only the group call code loads them.
 *
 * Routes under /api/chats/:chatId/calls/:callId/sfu/, each the SFU API
 * request of the same name with the Worker adding the app id and secret:
 *
 * - POST sessions/new → { sessionId, sessionDescription? }. Allowed to a
 *   participant's device; the room records the session as that device's.
 * - POST sessions/:sessionId/tracks/new: publish (`location` "local") or
 *   pull (`location` "remote", only sessions of this call).
 * - PUT sessions/:sessionId/renegotiate
 * - PUT sessions/:sessionId/tracks/close
 *
 * Every :sessionId must belong to the calling device. SFU errors pass
 * through as { errorCode, errorDescription } with the SFU's status; a
 * rate limit (429) keeps its Retry-After.
 */
export const SfuSessionDescription = CallDescription;

export const SfuTrackRequest = z.discriminatedUnion("location", [
  z.object({
    location: z.literal("local"),
    mid: z.string().max(16),
    trackName,
  }),
  z.object({
    location: z.literal("remote"),
    sessionId: z.string().min(1).max(128),
    trackName,
  }),
]);
export type SfuTrackRequest = z.infer<typeof SfuTrackRequest>;

export const SfuNewSessionBody = z.object({
  sessionDescription: SfuSessionDescription.optional(),
});

export const SfuTracksBody = z.object({
  sessionDescription: SfuSessionDescription.optional(),
  tracks: z.array(SfuTrackRequest).min(1).max(64),
});

export const SfuRenegotiateBody = z.object({
  sessionDescription: SfuSessionDescription,
});

export const SfuCloseTracksBody = z.object({
  sessionDescription: SfuSessionDescription.optional(),
  tracks: z
    .array(z.object({ mid: z.string().max(16) }))
    .min(1)
    .max(64),
  force: z.boolean().optional(),
});
