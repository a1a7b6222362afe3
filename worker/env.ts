import type { ChatRoom } from "../durable-objects/ChatRoom.ts";
import type { PhoneDirectory } from "../durable-objects/PhoneDirectory.ts";
import type { RateLimiter } from "../durable-objects/RateLimiter.ts";
import type { UserHub } from "../durable-objects/UserHub.ts";

/** Bindings and variables of the Worker, as declared in wrangler.toml. */
export interface Env {
  USER_HUB: DurableObjectNamespace<UserHub>;
  CHAT_ROOM: DurableObjectNamespace<ChatRoom>;
  PHONE_DIRECTORY: DurableObjectNamespace<PhoneDirectory>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  ASSETS?: Fetcher;
  /** "development" enables the SMS outbox and GET /api/dev/sms. */
  ENVIRONMENT: string;
  /** SMS provider used outside development: "twilio". */
  SMS_PROVIDER: string;
  /** Extra origins allowed to open the WebSocket, comma-separated. */
  ALLOWED_ORIGINS: string;
  /**
   * Milliseconds a socket may stay silent before it counts as gone, and so
   * the bound on showing a vanished device online. Default 70000.
   */
  PRESENCE_TIMEOUT_MS?: string;
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
}

export function isDevelopment(env: Env): boolean {
  return env.ENVIRONMENT === "development";
}

export function userHub(env: Env, userId: string) {
  return env.USER_HUB.get(env.USER_HUB.idFromName(userId));
}

export function chatRoom(env: Env, chatId: string) {
  return env.CHAT_ROOM.get(env.CHAT_ROOM.idFromName(chatId));
}

export function phoneDirectory(env: Env, e164: string) {
  return env.PHONE_DIRECTORY.get(env.PHONE_DIRECTORY.idFromName(e164));
}

export function rateLimiter(env: Env, key: string) {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
}
