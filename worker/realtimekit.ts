import { ApiError, GroupCallProvider } from "../protocol/index.ts";
import type { Env } from "./env.ts";
import { errorMessage, log } from "./log.ts";

/**
 * Client of the Cloudflare RealtimeKit REST API, for group calls whose
 * provider is "realtimekit". Paths, bodies and replies follow the
 * Cloudflare API reference (Realtime Kit: meetings, participants, active
 * session): every request goes below
 * {baseUrl}/accounts/{accountId}/realtime/kit/{appId}/ with the API token
 * as a bearer token, and every reply is a `{ success, data }` envelope.
 */

/** Default base URL of the Cloudflare API. */
export const DEFAULT_REALTIMEKIT_API_URL =
  "https://api.cloudflare.com/client/v4";

/** The RealtimeKit app, its credentials and the participants' preset. */
export interface RealtimeKitConfig {
  baseUrl: string;
  accountId: string;
  appId: string;
  apiToken: string;
  preset: string;
}

/** Variables that RealtimeKit calls need, in the order they are named. */
const REQUIRED = [
  "REALTIMEKIT_ACCOUNT_ID",
  "REALTIMEKIT_APP_ID",
  "REALTIMEKIT_API_TOKEN",
  "REALTIMEKIT_PRESET",
] as const;

/**
 * Returns the provider for calls that start now, from
 * GROUP_CALL_PROVIDER ("sfu" when unset), or raises "unavailable" naming
 * the variable when its value is neither provider.
 */
export function groupCallProvider(env: Env): GroupCallProvider {
  const value = env.GROUP_CALL_PROVIDER ?? "";
  if (value === "") return "sfu";
  const parsed = GroupCallProvider.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ApiError(
    "unavailable",
    `Group calls are misconfigured on this server: GROUP_CALL_PROVIDER is "${value}"; set it to "sfu" or "realtimekit".`,
  );
}

/**
 * Returns the RealtimeKit configuration, or raises "unavailable" naming
 * every missing variable.
 */
export function realtimeKitConfig(env: Env): RealtimeKitConfig {
  const missing = REQUIRED.filter((name) => (env[name] ?? "") === "");
  if (missing.length > 0) {
    throw new ApiError(
      "unavailable",
      `Group calls through RealtimeKit are not set up on this server: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing.`,
    );
  }
  const baseUrl = (
    env.REALTIMEKIT_API_URL ?? DEFAULT_REALTIMEKIT_API_URL
  ).replace(/\/+$/, "");
  return {
    baseUrl,
    accountId: env.REALTIMEKIT_ACCOUNT_ID ?? "",
    appId: env.REALTIMEKIT_APP_ID ?? "",
    apiToken: env.REALTIMEKIT_API_TOKEN ?? "",
    preset: env.REALTIMEKIT_PRESET ?? "",
  };
}

/** A meeting participant as Add Participant returns it. */
export interface RealtimeKitParticipant {
  id: string;
  token: string;
}

/** A failed RealtimeKit request, with status 502 when no reply arrived. */
export class RealtimeKitError extends Error {
  override name = "RealtimeKitError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Method = "POST" | "PATCH";

/** Reads `data.<field>` of an envelope as a non-empty string. */
function stringField(data: unknown, field: string, path: string): string {
  const value =
    typeof data === "object" && data !== null
      ? (data as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== "string" || value === "") {
    throw new RealtimeKitError(
      `RealtimeKit sent no ${field} for ${path}.`,
      502,
    );
  }
  return value;
}

/** Returns the first error message of a Cloudflare API error envelope. */
function errorDetail(body: unknown, status: number): string {
  const fields =
    typeof body === "object" && body !== null
      ? (body as { errors?: { message?: unknown }[]; error?: unknown })
      : {};
  const first = fields.errors?.[0]?.message;
  if (typeof first === "string") return first;
  if (typeof fields.error === "string") return fields.error;
  return `status ${status}`;
}

export class RealtimeKitApi {
  constructor(private readonly config: RealtimeKitConfig) {}

  /** Sends one request and returns the `data` of its envelope. */
  private async send(
    method: Method,
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    const { baseUrl, accountId, appId, apiToken } = this.config;
    const url = `${baseUrl}/accounts/${encodeURIComponent(accountId)}/realtime/kit/${encodeURIComponent(appId)}/${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${apiToken}`,
          "Content-Type": "application/json",
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new RealtimeKitError(
        `RealtimeKit is unreachable (${errorMessage(error)}).`,
        502,
      );
    }
    let reply: unknown;
    try {
      reply = await response.json();
    } catch {
      reply = undefined;
    }
    const success = (reply as { success?: unknown } | undefined)?.success;
    if (!response.ok || success === false) {
      const detail = errorDetail(reply, response.status);
      throw new RealtimeKitError(
        `RealtimeKit rejected ${method} ${path} (${detail}).`,
        response.ok ? 502 : response.status,
      );
    }
    return (reply as { data?: unknown } | undefined)?.data;
  }

  /** Creates a meeting and returns its id. */
  async createMeeting(title: string): Promise<string> {
    const data = await this.send("POST", "meetings", { title });
    return stringField(data, "id", "meetings");
  }

  /** Adds a participant with the configured preset, returning its token. */
  async addParticipant(
    meetingId: string,
    customParticipantId: string,
    name: string,
  ): Promise<RealtimeKitParticipant> {
    const path = `meetings/${encodeURIComponent(meetingId)}/participants`;
    const data = await this.send("POST", path, {
      custom_participant_id: customParticipantId,
      preset_name: this.config.preset,
      name,
    });
    return {
      id: stringField(data, "id", path),
      token: stringField(data, "token", path),
    };
  }

  /** Regenerates a participant's auth token and returns it. */
  async refreshToken(meetingId: string, participantId: string) {
    const path = `meetings/${encodeURIComponent(meetingId)}/participants/${encodeURIComponent(participantId)}/token`;
    const data = await this.send("POST", path);
    return stringField(data, "token", path);
  }

  /** Removes participants, by custom id, from the meeting's live session. */
  async kick(meetingId: string, customParticipantIds: string[]) {
    const path = `meetings/${encodeURIComponent(meetingId)}/active-session/kick`;
    await this.send("POST", path, {
      custom_participant_ids: customParticipantIds,
      participant_ids: [],
    });
  }

  /**
   * Ends the meeting for good: removes everyone from its live session,
   * which ends that session, then marks the meeting INACTIVE so its
   * tokens can no longer start a new one. Failures are logged, not
   * raised. The second step runs even when the first fails, because
   * kick-all may fail when the meeting has no live session.
   */
  async endMeeting(meetingId: string, ids: Record<string, string>) {
    const meeting = `meetings/${encodeURIComponent(meetingId)}`;
    for (const [step, method, path, body] of [
      ["kick_all", "POST", `${meeting}/active-session/kick-all`, undefined],
      ["deactivate", "PATCH", meeting, { status: "INACTIVE" }],
    ] as const) {
      try {
        await this.send(method, path, body);
      } catch (error) {
        log("realtimekit.end_failed", {
          ...ids,
          step,
          error: errorMessage(error),
        });
      }
    }
  }
}
