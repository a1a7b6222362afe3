import { ApiError } from "../protocol/index.ts";
import type { Env } from "./env.ts";
import { jsonResponse } from "./http.ts";
import { errorMessage, log } from "./log.ts";

/** Default base URL of Cloudflare's Realtime SFU API. */
export const DEFAULT_SFU_API_URL = "https://rtc.live.cloudflare.com/v1";

/** The SFU's API base URL and the app's credentials. */
export interface SfuConfig {
  baseUrl: string;
  appId: string;
  appSecret: string;
}

/** Fields of the call and device a proxied request is made for, for logs. */
export interface SfuLogIds {
  chatId: string;
  callId: string;
  userId: string;
  deviceId: string;
}

/**
 * Returns the SFU configuration, or raises "unavailable" (503) when
 * SFU_APP_ID or SFU_APP_SECRET is unset.
 */
export function sfuConfig(env: Env): SfuConfig {
  const appId = env.SFU_APP_ID ?? "";
  const appSecret = env.SFU_APP_SECRET ?? "";
  if (appId === "" || appSecret === "") {
    throw new ApiError(
      "unavailable",
      "Group calls are not set up on this server: SFU_APP_ID and SFU_APP_SECRET are missing.",
    );
  }
  const baseUrl = (env.SFU_API_URL ?? DEFAULT_SFU_API_URL).replace(/\/+$/, "");
  return { baseUrl, appId, appSecret };
}

/** An SFU failure as the proxy returns it: the SFU's own error shape. */
function sfuError(
  status: number,
  errorCode: string,
  errorDescription: string,
  headers: HeadersInit = {},
): Response {
  return jsonResponse({ errorCode, errorDescription }, status, headers);
}

/**
 * Sends one request to the SFU at `path` (below /apps/{appId}/) with the
 * app secret, and returns its reply for the browser: a success with its
 * status and JSON body, and an SFU error with its status, errorCode and
 * errorDescription, plus Retry-After on 429. A network failure becomes
 * 502. `onSuccess` receives the JSON of a successful reply first and may
 * raise to replace it with an error.
 */
export async function forwardToSfu(
  config: SfuConfig,
  method: "POST" | "PUT",
  path: string,
  body: unknown,
  ids: SfuLogIds,
  onSuccess?: (reply: unknown) => Promise<Response | undefined>,
): Promise<Response> {
  const url = `${config.baseUrl}/apps/${encodeURIComponent(config.appId)}/${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        Authorization: `Bearer ${config.appSecret}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    log("sfu.request_failed", { ...ids, path, error: errorMessage(error) });
    return sfuError(
      502,
      "sfu_unreachable",
      "The server could not reach the SFU; try again in a moment.",
    );
  }
  const text = await response.text();
  const reply = parseJson(text);
  if (!response.ok) {
    return passError(response, reply, path, ids);
  }
  if (reply === undefined) {
    log("sfu.reply_invalid", { ...ids, path, status: response.status });
    return sfuError(502, "sfu_invalid_reply", "The SFU sent no JSON reply.");
  }
  const replaced = await onSuccess?.(reply);
  return replaced ?? jsonResponse(reply, response.status);
}

function passError(
  response: Response,
  reply: unknown,
  path: string,
  ids: SfuLogIds,
): Response {
  const fields =
    typeof reply === "object" && reply !== null
      ? (reply as Record<string, unknown>)
      : {};
  const errorCode =
    typeof fields.errorCode === "string" ? fields.errorCode : "sfu_error";
  const errorDescription =
    typeof fields.errorDescription === "string"
      ? fields.errorDescription
      : `The SFU replied with status ${response.status}.`;
  log("sfu.rejected", { ...ids, path, status: response.status, errorCode });
  const headers: Record<string, string> = {};
  const retryAfter = response.headers.get("Retry-After");
  if (response.status === 429 && retryAfter !== null) {
    headers["Retry-After"] = retryAfter;
  }
  return sfuError(response.status, errorCode, errorDescription, headers);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Closes every track of the SFU session `sessionId` with force, so the SFU
 * stops sending it the media it pulls and stops forwarding what it
 * publishes. The server uses it to cut off a device that it removed from
 * a call, because the requests this proxy sends include none that ends a
 * session. Failures are logged and not raised.
 */
export async function closeSfuSession(
  config: SfuConfig,
  sessionId: string,
  ids: SfuLogIds,
): Promise<void> {
  const session = `${config.baseUrl}/apps/${encodeURIComponent(config.appId)}/sessions/${encodeURIComponent(sessionId)}`;
  const headers = {
    Authorization: `Bearer ${config.appSecret}`,
    "Content-Type": "application/json",
  };
  try {
    const listed = await fetch(session, { headers });
    if (!listed.ok) {
      log("sfu.close_failed", { ...ids, step: "get", status: listed.status });
      return;
    }
    const { tracks } = await listed.json<{ tracks?: { mid?: string }[] }>();
    const mids = (tracks ?? []).flatMap((track) =>
      typeof track.mid === "string" ? [{ mid: track.mid }] : [],
    );
    if (mids.length === 0) return;
    const closed = await fetch(`${session}/tracks/close`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ tracks: mids, force: true }),
    });
    log(closed.ok ? "sfu.session_cut_off" : "sfu.close_failed", {
      ...ids,
      step: "close",
      status: closed.status,
      tracks: mids.length,
    });
  } catch (error) {
    log("sfu.close_failed", { ...ids, error: errorMessage(error) });
  }
}
