// Request handling of the local SFU: authentication, routing and one
// handler per endpoint, over a registry of sessions kept in memory.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeTracksRequestSchema,
  newSessionRequestSchema,
  parseBody,
  renegotiateRequestSchema,
  SfuError,
  tracksRequestSchema,
  type LocalTrackRequest,
  type NewSessionResponse,
  type RemoteTrackRequest,
  type SessionDescription,
  type TrackResult,
  type TracksResponse,
} from "./api.ts";
import { FaultList } from "./faults.ts";
import type { Pull } from "./forwarding.ts";
import { log } from "./log.ts";
import { payloadCheckEnabled, payloadReport } from "./payload-check.ts";
import { Session } from "./session.ts";

export interface SfuOptions {
  appId: string;
  appSecret: string;
  /**
   * Idle limit in ms: a session whose connection is not up for this long is
   * closed, and a published track that receives no RTP for this long is
   * dropped, as Cloudflare drops tracks after 30 s without media.
   */
  idleTimeoutMs: number;
  /** Serves the fault routes (dev/sfu/faults.ts) when true. */
  faults: boolean;
}

/** A parsed request that the router hands to a handler. */
export interface SfuRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface SfuResponse {
  status: number;
  body: unknown;
  sessionId?: string;
}

const FAULTS_PATH = /^\/v1\/apps\/([^/]+)\/faults$/;
/** The report of the opt-in payload check (payload-check.ts). */
const PAYLOAD_CHECK_PATH = /^\/v1\/apps\/([^/]+)\/payload-check$/;
const SESSION_PATH =
  /^\/v1\/apps\/([^/]+)\/sessions\/([^/]+)(\/tracks\/new|\/tracks\/close|\/renegotiate)?$/;

export class SfuApp {
  readonly sessions = new Map<string, Session>();
  /** Injected failures, or null when the server runs without --faults. */
  readonly faults: FaultList | null;

  private readonly options: SfuOptions;
  private readonly secretDigest: Buffer;
  private readonly sweepTimer: ReturnType<typeof setInterval>;

  constructor(options: SfuOptions) {
    this.options = options;
    this.faults = options.faults ? new FaultList() : null;
    this.secretDigest = digest(options.appSecret);
    this.sweepTimer = setInterval(
      () => this.closeIdle(),
      Math.max(1_000, options.idleTimeoutMs / 4),
    );
  }

  /** Routes `request` to its handler, which throws SfuError on failure. */
  async handle(request: SfuRequest): Promise<SfuResponse> {
    this.authenticate(request.authorization);
    const faultsMatch = FAULTS_PATH.exec(request.path);
    if (this.faults !== null && faultsMatch?.[1] === this.options.appId) {
      return this.handleFaults(this.faults, request);
    }
    const check = PAYLOAD_CHECK_PATH.exec(request.path);
    if (check?.[1] === this.options.appId && payloadCheckEnabled()) {
      return { status: 200, body: { tracks: payloadReport() } };
    }
    const match = SESSION_PATH.exec(request.path);
    const appId = match?.[1];
    const sessionPart = match?.[2];
    const action = match?.[3] ?? "";
    if (appId === undefined || sessionPart === undefined) {
      throw new SfuError(404, "not_found", `No route for ${request.path}.`);
    }
    if (appId !== this.options.appId) {
      throw new SfuError(404, "not_found", `App ${appId} does not exist.`);
    }
    const route = `${request.method} ${action}`;
    const creates = sessionPart === "new" && route === "POST ";
    const failedTracks = this.faults?.apply({
      action: creates ? "sessions/new" : action.slice(1),
      sessionId: creates ? null : sessionPart,
      body: request.body,
    });
    if (failedTracks !== undefined) {
      const body = {
        requiresImmediateRenegotiation: false,
        tracks: failedTracks,
      };
      return { status: 200, body, sessionId: sessionPart };
    }
    if (creates) return this.newSession(request.body);
    const session = this.findSession(sessionPart);
    switch (route) {
      case "GET ":
        return this.getSession(session);
      case "POST /tracks/new":
        return this.newTracks(session, request.body);
      case "PUT /renegotiate":
        return this.renegotiate(session, request.body);
      case "PUT /tracks/close":
        return this.closeTracks(session, request.body);
      default:
        throw new SfuError(
          405,
          "method_not_allowed",
          `${request.method} is not allowed on ${request.path}.`,
        );
    }
  }

  /**
   * GET lists the faults with the requests each still fails, POST adds
   * one, DELETE removes them all.
   */
  private handleFaults(faults: FaultList, request: SfuRequest): SfuResponse {
    switch (request.method) {
      case "GET":
        return { status: 200, body: { faults: faults.list() } };
      case "POST":
        return { status: 201, body: { fault: faults.add(request.body) } };
      case "DELETE":
        faults.clear();
        return { status: 200, body: {} };
      default:
        throw new SfuError(
          405,
          "method_not_allowed",
          `${request.method} is not allowed on ${request.path}.`,
        );
    }
  }

  /** Stops the idle sweep and closes every session. */
  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    await Promise.all(
      [...this.sessions.values()].map((session) => session.close("shutdown")),
    );
  }

  private authenticate(authorization: string | undefined): void {
    const token = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    // Comparing digests of equal length keeps the comparison constant-time.
    if (
      token === undefined ||
      !timingSafeEqual(digest(token), this.secretDigest)
    ) {
      throw new SfuError(
        401,
        "unauthorized",
        "Missing or invalid app secret in the Authorization header.",
      );
    }
  }

  private findSession(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (session === undefined) {
      throw new SfuError(
        404,
        "session_not_found",
        `Session ${sessionId} does not exist or has been closed.`,
      );
    }
    return session;
  }

  private async newSession(body: unknown): Promise<SfuResponse> {
    const request = parseBody(newSessionRequestSchema, body ?? {});
    const sessionId = randomBytes(16).toString("hex");
    const session = new Session(sessionId, (closed, reason) => {
      this.sessions.delete(closed.id);
      log("sfu.session_closed", { sessionId: closed.id, reason });
    });
    this.sessions.set(sessionId, session);
    log("sfu.session_created", { sessionId });
    const response: NewSessionResponse = { sessionId };
    if (request.sessionDescription !== undefined) {
      const offer = request.sessionDescription;
      response.sessionDescription = await session.exclusive(() =>
        session.answer(offer),
      );
    }
    return { status: 201, body: response, sessionId };
  }

  private getSession(session: Session): SfuResponse {
    return {
      status: 200,
      body: { tracks: session.trackStates() },
      sessionId: session.id,
    };
  }

  private async newTracks(
    session: Session,
    body: unknown,
  ): Promise<SfuResponse> {
    const request = parseBody(tracksRequestSchema, body);
    const local: LocalTrackRequest[] = [];
    const remote: RemoteTrackRequest[] = [];
    for (const track of request.tracks) {
      if (track.location === "local") local.push(track);
      else remote.push(track);
    }
    // NOTE: Cloudflare also accepts local and remote tracks in one request,
    // and remote tracks with a client offer, but this stand-in does not.
    if (local.length > 0 && remote.length > 0) {
      throw new SfuError(
        400,
        "invalid_request",
        "Invalid tracks: publish (local) and pull (remote) in separate requests.",
      );
    }
    const response =
      local.length > 0
        ? await this.publish(session, local, request.sessionDescription)
        : await this.pull(session, remote, request.sessionDescription);
    return { status: 200, body: response, sessionId: session.id };
  }

  private async publish(
    session: Session,
    tracks: LocalTrackRequest[],
    offer: SessionDescription | undefined,
  ): Promise<TracksResponse> {
    if (offer === undefined) {
      throw new SfuError(
        400,
        "invalid_request",
        "Missing sessionDescription: publishing local tracks needs the client's offer.",
      );
    }
    return session.exclusive(async () => {
      const answer = await session.answer(offer);
      const results = session.publish(tracks);
      for (const result of results) {
        log("sfu.track_published", {
          sessionId: session.id,
          trackName: result.trackName,
          mid: result.mid,
          errorCode: result.errorCode,
        });
      }
      return {
        requiresImmediateRenegotiation: false,
        sessionDescription: answer,
        tracks: results,
      };
    });
  }

  private async pull(
    session: Session,
    tracks: RemoteTrackRequest[],
    offer: SessionDescription | undefined,
  ): Promise<TracksResponse> {
    if (offer !== undefined) {
      throw new SfuError(
        400,
        "invalid_request",
        "Invalid sessionDescription: pulling remote tracks takes no client " +
          "offer here; the response carries the SFU's offer.",
      );
    }
    return session.exclusive(async () => {
      session.requireStable();
      const pulls: (Pull | TrackResult)[] = tracks.map((track) =>
        this.startPull(session, track),
      );
      const started = pulls.filter((entry): entry is Pull => "source" in entry);
      if (started.length === 0) {
        return {
          requiresImmediateRenegotiation: false,
          tracks: pulls as TrackResult[],
        };
      }
      const sfuOffer = await session.offer();
      session.registerPulls(started);
      return {
        requiresImmediateRenegotiation: true,
        sessionDescription: sfuOffer,
        tracks: pulls.map((entry) =>
          "source" in entry ? pullResult(entry) : entry,
        ),
      };
    });
  }

  /** Starts one pull, or returns the track's error result. */
  private startPull(
    session: Session,
    request: RemoteTrackRequest,
  ): Pull | TrackResult {
    const result: TrackResult = {
      location: "remote",
      sessionId: request.sessionId,
      trackName: request.trackName,
    };
    const publisher = this.sessions.get(request.sessionId);
    if (publisher === undefined) {
      return {
        ...result,
        errorCode: "not_found",
        errorDescription: `Session ${request.sessionId} does not exist.`,
      };
    }
    const source = publisher.published.get(request.trackName);
    if (source === undefined || source.closed) {
      return {
        ...result,
        errorCode: "not_found",
        errorDescription:
          `Session ${request.sessionId} publishes no track named ` +
          `${request.trackName}.`,
      };
    }
    log("sfu.track_pulled", {
      sessionId: session.id,
      publisherSessionId: request.sessionId,
      trackName: request.trackName,
    });
    return session.addPull(source);
  }

  private async renegotiate(
    session: Session,
    body: unknown,
  ): Promise<SfuResponse> {
    const request = parseBody(renegotiateRequestSchema, body);
    await session.exclusive(() =>
      session.applyAnswer(request.sessionDescription),
    );
    return { status: 200, body: {}, sessionId: session.id };
  }

  private async closeTracks(
    session: Session,
    body: unknown,
  ): Promise<SfuResponse> {
    const request = parseBody(closeTracksRequestSchema, body);
    const offer = request.sessionDescription;
    // NOTE: without an offer and without force, Cloudflare may renegotiate
    // on its own. This stand-in requires one of the two instead.
    if (offer === undefined && request.force !== true) {
      throw new SfuError(
        400,
        "invalid_request",
        "Missing sessionDescription: send the client's offer that stops " +
          "the tracks, or set force to true to close them without one.",
      );
    }
    const response = await session.exclusive(async () => {
      const results = session.closeTracks(
        request.tracks.map((track) => track.mid),
      );
      log("sfu.tracks_closed", {
        sessionId: session.id,
        mids: results.map((result) => result.mid),
      });
      const closed: TracksResponse = {
        requiresImmediateRenegotiation: false,
        tracks: results,
      };
      if (offer !== undefined) {
        closed.sessionDescription = await session.answer(offer);
      }
      return closed;
    });
    return { status: 200, body: response, sessionId: session.id };
  }

  /** Closes sessions and tracks that passed the idle limit. */
  private closeIdle(): void {
    const now = Date.now();
    const limit = this.options.idleTimeoutMs;
    for (const session of this.sessions.values()) {
      if (
        session.connectionState !== "connected" &&
        now - session.stateChangedAt > limit
      ) {
        // close() logs its own errors and never rejects.
        void session.close(`not connected for ${limit} ms`);
        continue;
      }
      for (const [name, track] of session.published) {
        const since = track.lastPacketAt ?? session.stateChangedAt;
        if (now - since <= limit) continue;
        track.close();
        session.published.delete(name);
        log("sfu.track_dropped", {
          sessionId: session.id,
          trackName: name,
          reason: `no media for ${limit} ms`,
        });
      }
    }
  }
}

function pullResult(pull: Pull): TrackResult {
  return {
    location: "remote",
    mid: pull.transceiver.mid ?? undefined,
    sessionId: pull.source.sessionId,
    trackName: pull.source.trackName,
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
