import { IceServersResponse, type IceServer } from "../../../protocol/index.ts";
import { apiRequest } from "../data/api.ts";
import { log } from "../data/log.ts";

interface CachedServers {
  servers: IceServer[];
  /** Local time after which the TURN credentials may have expired. */
  expiresAt: number;
}

let cached: CachedServers | null = null;

/**
 * Returns the ICE servers for a call (GET /api/calls/ice-servers), reusing
 * a list while its credentials have more than a minute left. A failed
 * request gives an empty list, which still connects on a local network.
 */
export async function iceServers(): Promise<RTCIceServer[]> {
  if (cached !== null && cached.expiresAt - 60_000 > Date.now()) {
    return cached.servers;
  }
  try {
    const reply = await apiRequest(
      "GET",
      "/calls/ice-servers",
      IceServersResponse,
    );
    cached = {
      servers: reply.iceServers,
      expiresAt: Date.now() + reply.ttlSeconds * 1000,
    };
    return reply.iceServers;
  } catch (error) {
    log("call_ice_servers_failed", { error: String(error) });
    return [];
  }
}
