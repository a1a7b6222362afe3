// Request and response bodies of the Cloudflare Realtime SFU HTTP API, for
// the subset that the local SFU serves. Field names are those of
// Cloudflare's API reference (developers.cloudflare.com/realtime/sfu/api/),
// so a client sends the same requests here and to Cloudflare.
import { z } from "zod";

/** Tracks per request, as Cloudflare limits them. */
export const MAX_TRACKS_PER_REQUEST = 64;

export const sessionDescriptionSchema = z.object({
  type: z.enum(["offer", "answer"]),
  sdp: z.string().min(1),
});
export type SessionDescription = z.infer<typeof sessionDescriptionSchema>;

const localTrackSchema = z.object({
  location: z.literal("local"),
  mid: z.string().min(1),
  trackName: z.string().min(1),
});

const remoteTrackSchema = z.object({
  location: z.literal("remote"),
  sessionId: z.string().min(1),
  trackName: z.string().min(1),
});

export type LocalTrackRequest = z.infer<typeof localTrackSchema>;
export type RemoteTrackRequest = z.infer<typeof remoteTrackSchema>;

export const newSessionRequestSchema = z.object({
  sessionDescription: sessionDescriptionSchema.optional(),
});

export const tracksRequestSchema = z.object({
  sessionDescription: sessionDescriptionSchema.optional(),
  tracks: z
    .array(
      z.discriminatedUnion("location", [localTrackSchema, remoteTrackSchema]),
    )
    .min(1)
    .max(MAX_TRACKS_PER_REQUEST),
});

export const renegotiateRequestSchema = z.object({
  sessionDescription: sessionDescriptionSchema,
});

export const closeTracksRequestSchema = z.object({
  sessionDescription: sessionDescriptionSchema.optional(),
  tracks: z
    .array(z.object({ mid: z.string().min(1) }))
    .min(1)
    .max(MAX_TRACKS_PER_REQUEST),
  force: z.boolean().optional(),
});

/** One entry of the `tracks` list in a response, with its own error. */
export interface TrackResult {
  location?: "local" | "remote";
  mid?: string;
  trackName?: string;
  sessionId?: string;
  errorCode?: string;
  errorDescription?: string;
}

/** Body of the responses of tracks/new and tracks/close. */
export interface TracksResponse {
  requiresImmediateRenegotiation: boolean;
  sessionDescription?: SessionDescription;
  tracks: TrackResult[];
}

/** Body of the response of sessions/new. */
export interface NewSessionResponse {
  sessionId: string;
  sessionDescription?: SessionDescription;
}

/** One track of GET sessions/{id}. */
export interface TrackState {
  location: "local" | "remote";
  mid: string;
  trackName: string;
  sessionId?: string;
  status: "active" | "inactive" | "waiting";
}

/**
 * A request that failed as a whole. The server responds with `status` and
 * Cloudflare's error body `{ errorCode, errorDescription }`, plus a
 * Retry-After header when `retryAfterSeconds` is set.
 */
export class SfuError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    errorCode: string,
    description: string,
    retryAfterSeconds?: number,
  ) {
    super(description);
    this.status = status;
    this.errorCode = errorCode;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Parses `body` with `schema`, or throws a 400 naming the invalid field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join(".") || "body";
  throw new SfuError(
    400,
    "invalid_request",
    `Invalid ${field}: ${issue?.message ?? "malformed request body"}.`,
  );
}
