// Injected failures of the local SFU, for tests of how clients handle SFU
// errors. The server enables them only with --faults (SFU_FAULTS=1). A
// test registers a fault with POST /v1/apps/{appId}/faults, and the next
// matching requests fail as Cloudflare's SFU fails them: a rate limit
// (429 with Retry-After), a session that is gone (404 session_not_found),
// or pulled tracks that are not found (200 with an error per track).
import { z } from "zod";
import { parseBody, SfuError, type TrackResult } from "./api.ts";
import { log } from "./log.ts";

export const faultSchema = z.object({
  /** The request to fail, as in the API path after the session id. */
  action: z.enum(["sessions/new", "tracks/new", "renegotiate", "tracks/close"]),
  /** Only tracks/new requests that publish (local) or pull (remote). */
  location: z.enum(["local", "remote"]).optional(),
  /** Only requests for this session id. */
  sessionId: z.string().min(1).optional(),
  /** How many matching requests fail. */
  times: z.number().int().min(1).max(1000).default(1),
  /**
   * Status of the whole response. With `perTrack`, the response is a 200
   * in which every track carries `errorCode`, so this field is ignored.
   */
  status: z.number().int().min(400).max(599).default(500),
  errorCode: z.string().min(1).max(64),
  errorDescription: z.string().max(200).default("Injected failure."),
  /** Seconds sent in Retry-After. */
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  perTrack: z.boolean().default(false),
});
export type Fault = z.infer<typeof faultSchema> & { remaining: number };

/** A request as the fault list matches it. */
export interface FaultTarget {
  action: string;
  sessionId: string | null;
  body: unknown;
}

function trackLocations(body: unknown): string[] {
  const tracks = (body as { tracks?: unknown } | undefined)?.tracks;
  if (!Array.isArray(tracks)) return [];
  return tracks.map((track) => String((track as TrackResult).location));
}

/** Failed entries for every track of a tracks/new request. */
function failedTracks(fault: Fault, body: unknown): TrackResult[] {
  const tracks = (body as { tracks?: TrackResult[] } | undefined)?.tracks;
  return (tracks ?? []).map((track) => ({
    location: track.location,
    sessionId: track.sessionId,
    trackName: track.trackName,
    errorCode: fault.errorCode,
    errorDescription: fault.errorDescription,
  }));
}

export class FaultList {
  private faults: Fault[] = [];

  /** Adds the fault described by `body`, or throws a 400. */
  add(body: unknown): Fault {
    const fault = { ...parseBody(faultSchema, body), remaining: 0 };
    fault.remaining = fault.times;
    this.faults.push(fault);
    log("sfu.fault_added", { ...fault });
    return fault;
  }

  /** Returns the faults with the requests each still fails. */
  list(): Fault[] {
    return this.faults;
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Takes one use of the first fault that matches `target`. Returns the
   * failed tracks of a per-track fault, throws SfuError for a fault of
   * the whole request, and returns undefined when none matches.
   */
  apply(target: FaultTarget): TrackResult[] | undefined {
    const fault = this.faults.find(
      (candidate) =>
        candidate.remaining > 0 &&
        candidate.action === target.action &&
        (candidate.sessionId === undefined ||
          candidate.sessionId === target.sessionId) &&
        (candidate.location === undefined ||
          trackLocations(target.body).includes(candidate.location)),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    log("sfu.fault_applied", {
      action: target.action,
      sessionId: target.sessionId,
      errorCode: fault.errorCode,
      remaining: fault.remaining,
    });
    if (fault.perTrack && target.action === "tracks/new") {
      return failedTracks(fault, target.body);
    }
    throw new SfuError(
      fault.status,
      fault.errorCode,
      fault.errorDescription,
      fault.retryAfterSeconds,
    );
  }
}
