import type { ChatRoom } from "../durable-objects/ChatRoom.ts";
import type { PhoneDirectory } from "../durable-objects/PhoneDirectory.ts";
import type { RateLimiter } from "../durable-objects/RateLimiter.ts";
import type { UserHub } from "../durable-objects/UserHub.ts";
import { countedStub } from "./dev-counters.ts";

/** Bindings and variables of the Worker, as declared in wrangler.toml. */
export interface Env {
  USER_HUB: DurableObjectNamespace<UserHub>;
  CHAT_ROOM: DurableObjectNamespace<ChatRoom>;
  PHONE_DIRECTORY: DurableObjectNamespace<PhoneDirectory>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  ASSETS?: Fetcher;
  /**
   * Media objects: profile photos under `photos/<userId>/<photoId>`,
   * encrypted chat media under `media/<chatId>/<mediaId>`, encrypted
   * history archives under
   * `history/<userId>/<targetDeviceId>/<uploaderDeviceId>`, and chat
   * reports under `reports/<day>/<reportId>.json`.
   */
  MEDIA: R2Bucket;
  /** Dashboard counters (worker/metrics.ts); absent where not bound. */
  METRICS?: AnalyticsEngineDataset;
  /** "development" enables the SMS outbox and GET /api/dev/sms. */
  ENVIRONMENT: string;
  /** SMS provider used outside development: "twilio". */
  SMS_PROVIDER: string;
  /** Extra origins allowed to open the WebSocket, comma-separated. */
  ALLOWED_ORIGINS: string;
  /**
   * Sends one device may make per second, sustained, as a decimal integer.
   * Default SENDS_PER_SECOND (protocol/limits.ts). The benchmarks raise it,
   * because the default caps how fast one chat can be driven.
   */
  SENDS_PER_SECOND?: string;
  /** Sends one device may make in a burst. Default SEND_BURST. */
  SEND_BURST?: string;
  /**
   * Milliseconds a socket may stay silent before it counts as gone, and so
   * the bound on showing a vanished device online. Default 70000.
   */
  PRESENCE_TIMEOUT_MS?: string;
  /**
   * Web Push (VAPID) key pair and contact, set with `wrangler secret put`:
   * the public key as base64url of the 65-byte uncompressed P-256 point,
   * the private key as base64url of the 32-byte scalar `d`, and a
   * `mailto:` or `https:` subject. `npm run vapid` prints a fresh pair.
   * Without them the server sends no notifications.
   */
  VAPID_PUBLIC_KEY?: string;
  VAPID_PRIVATE_KEY?: string;
  VAPID_SUBJECT?: string;
  /**
   * STUN server URLs for calls, comma-separated ("stun:stun.example:3478").
   * Default none, which works on loopback and a local network.
   */
  STUN_URLS?: string;
  /**
   * Cloudflare TURN key: its id and API token (a secret, set with
   * `wrangler secret put`). With both set, GET /api/calls/ice-servers
   * adds short-lived TURN credentials from the TURN service.
   */
  TURN_KEY_ID?: string;
  TURN_KEY_API_TOKEN?: string;
  /** Base URL of the TURN credentials API; default rtc.live.cloudflare.com/v1. */
  TURN_API_URL?: string;
  /**
   * Base URL of the Realtime SFU API for group calls; default
   * https://rtc.live.cloudflare.com/v1. Development points it at the
   * local SFU (dev/sfu).
   */
  SFU_API_URL?: string;
  /**
   * Realtime SFU app id and app secret (a secret, set with `wrangler
   * secret put`). Without both, the SFU proxy routes reply 503.
   */
  SFU_APP_ID?: string;
  SFU_APP_SECRET?: string;
  /**
   * Media path of group calls that start from now on: "sfu" (default) for
   * the Realtime SFU proxy, "realtimekit" for Cloudflare RealtimeKit.
   */
  GROUP_CALL_PROVIDER?: string;
  /**
   * RealtimeKit account id, app id and API token (a secret with the
   * Realtime Admin permission, set with `wrangler secret put`), and the
   * preset given to every participant. Needed when GROUP_CALL_PROVIDER is
   * "realtimekit"; the first call then fails naming the missing one.
   */
  REALTIMEKIT_ACCOUNT_ID?: string;
  REALTIMEKIT_APP_ID?: string;
  REALTIMEKIT_API_TOKEN?: string;
  REALTIMEKIT_PRESET?: string;
  /** Base URL of the Cloudflare API; default api.cloudflare.com/client/v4. */
  REALTIMEKIT_API_URL?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
}

export function isDevelopment(env: Env): boolean {
  return env.ENVIRONMENT === "development";
}

// Each stub getter counts the calls made on the stub in development
// (worker/dev-counters.ts) and returns the plain stub otherwise.

export function userHub(env: Env, userId: string) {
  const stub = env.USER_HUB.get(env.USER_HUB.idFromName(userId));
  return countedStub(env, "UserHub", stub);
}

export function chatRoom(env: Env, chatId: string) {
  const stub = env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
  return countedStub(env, "ChatRoom", stub);
}

export function phoneDirectory(env: Env, e164: string) {
  const id = env.PHONE_DIRECTORY.idFromName(e164);
  return countedStub(env, "PhoneDirectory", env.PHONE_DIRECTORY.get(id));
}

export function rateLimiter(env: Env, key: string) {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
  return countedStub(env, "RateLimiter", stub);
}
