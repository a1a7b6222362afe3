import type { SfuTrackRequest } from "../../../../protocol/sfu.ts";
import { log } from "../../data/log.ts";

/**
 * Client of the Worker's SFU proxy routes of one call, under
 * /api/chats/:chatId/calls/:callId/sfu/. Failures that may pass (no
 * network, 5xx, 429) are retried with backoff before an SfuFailure.
 */

/** A failed SFU request; `message` is for the person. */
export class SfuFailure extends Error {
  override name = "SfuFailure";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** A track entry of the SFU's tracks/new and tracks/close replies. */
export interface SfuTrackResult {
  mid?: string;
  trackName?: string;
  sessionId?: string;
  errorCode?: string;
  errorDescription?: string;
}

export interface SfuReply {
  sessionId?: string;
  sessionDescription?: RTCSessionDescriptionInit;
  tracks?: SfuTrackResult[];
  requiresImmediateRenegotiation?: boolean;
}

/** Attempts of one request, and the first delay between them in ms. */
const ATTEMPTS = 3;
const FIRST_RETRY_MS = 1_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function failureOf(response: Response): Promise<SfuFailure> {
  let detail = `status ${response.status}`;
  try {
    const body = (await response.json()) as {
      errorDescription?: string;
      error?: { message?: string };
    };
    detail = body.errorDescription ?? body.error?.message ?? detail;
  } catch {
    // No JSON body, so the status is the only detail.
  }
  return new SfuFailure(`The call server failed (${detail}).`, response.status);
}

function retryDelay(response: Response | null, attempt: number): number {
  const header = Number(response?.headers.get("retry-after") ?? "");
  if (Number.isFinite(header) && header > 0) return header * 1000;
  return FIRST_RETRY_MS * 2 ** attempt;
}

export class SfuClient {
  readonly base: string;

  constructor(chatId: string, callId: string) {
    this.base = `/api/chats/${encodeURIComponent(chatId)}/calls/${encodeURIComponent(callId)}/sfu/`;
  }

  /** Sends one proxy request, retrying network errors, 5xx and 429. */
  async send(
    method: "POST" | "PUT",
    path: string,
    body?: unknown,
  ): Promise<SfuReply> {
    let failure = new SfuFailure("The call server is unreachable.", 0);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let response: Response | null = null;
      try {
        response = await fetch(this.base + path, {
          method,
          credentials: "same-origin",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body ?? {}),
        });
      } catch {
        failure = new SfuFailure(
          "Cannot reach the call server. Check your connection.",
          0,
        );
      }
      if (response?.ok === true) return (await response.json()) as SfuReply;
      if (response !== null) {
        failure = await failureOf(response);
        const retryable = response.status >= 500 || response.status === 429;
        if (!retryable) throw failure;
      }
      log("sfu_request_retry", { path, attempt, status: failure.status });
      if (attempt + 1 < ATTEMPTS) await delay(retryDelay(response, attempt));
    }
    throw failure;
  }

  newSession(): Promise<SfuReply> {
    return this.send("POST", "sessions/new");
  }

  newTracks(
    sessionId: string,
    tracks: SfuTrackRequest[],
    offer?: RTCSessionDescriptionInit,
  ): Promise<SfuReply> {
    return this.send("POST", `sessions/${sessionId}/tracks/new`, {
      sessionDescription: offer,
      tracks,
    });
  }

  renegotiate(
    sessionId: string,
    answer: RTCSessionDescriptionInit,
  ): Promise<SfuReply> {
    return this.send("PUT", `sessions/${sessionId}/renegotiate`, {
      sessionDescription: answer,
    });
  }

  closeTracks(
    sessionId: string,
    mids: string[],
    offer: RTCSessionDescriptionInit,
  ): Promise<SfuReply> {
    return this.send("PUT", `sessions/${sessionId}/tracks/close`, {
      sessionDescription: offer,
      tracks: mids.map((mid) => ({ mid })),
    });
  }
}
