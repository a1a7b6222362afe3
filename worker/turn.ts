import { z } from "zod";
import { IceServer, type IceServersResponse } from "../protocol/index.ts";
import type { Env } from "./env.ts";
import { errorMessage, log } from "./log.ts";

/** Default base URL of Cloudflare's Realtime API, which issues TURN credentials. */
export const DEFAULT_TURN_API_URL = "https://rtc.live.cloudflare.com/v1";

/**
 * Seconds the TURN credentials stay valid. The client fetches servers for
 * each call, so this only has to outlast one call. A longer call keeps
 * its relay but cannot restart ICE through it.
 */
export const TURN_CREDENTIAL_TTL_S = 4 * 60 * 60;

/**
 * Seconds a STUN-only reply is valid after the TURN service failed, so the
 * client asks again soon.
 */
export const TURN_FAILURE_TTL_S = 60;

const TurnReply = z.object({ iceServers: z.array(IceServer) });

/** Returns the STUN URLs of STUN_URLS, a comma-separated list. */
export function stunServers(env: Pick<Env, "STUN_URLS">): IceServer[] {
  const urls = (env.STUN_URLS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  return urls.length === 0 ? [] : [{ urls }];
}

/**
 * Builds the ICE servers for a call: the configured STUN URLs, plus
 * short-lived TURN credentials from Cloudflare's TURN service when
 * TURN_KEY_ID and TURN_KEY_API_TOKEN are set. The API token goes only to
 * that service. A failed request is logged and the reply has STUN only.
 */
export async function iceServers(env: Env): Promise<IceServersResponse> {
  const stun = stunServers(env);
  const keyId = env.TURN_KEY_ID ?? "";
  const token = env.TURN_KEY_API_TOKEN ?? "";
  if (keyId === "" || token === "") {
    return { iceServers: stun, ttlSeconds: TURN_CREDENTIAL_TTL_S };
  }
  const base = (env.TURN_API_URL ?? DEFAULT_TURN_API_URL).replace(/\/+$/, "");
  const url = `${base}/turn/keys/${encodeURIComponent(keyId)}/credentials/generate-ice-servers`;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${token}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ ttl: TURN_CREDENTIAL_TTL_S }),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`TURN service replied ${response.status}`);
    }
    const parsed = TurnReply.safeParse(await response.json());
    if (!parsed.success) {
      throw new Error("TURN service reply has no valid iceServers list");
    }
    return {
      iceServers: [...stun, ...parsed.data.iceServers],
      ttlSeconds: TURN_CREDENTIAL_TTL_S,
    };
  } catch (error) {
    log("turn.credentials_failed", { keyId, error: errorMessage(error) });
    return { iceServers: stun, ttlSeconds: TURN_FAILURE_TTL_S };
  }
}
