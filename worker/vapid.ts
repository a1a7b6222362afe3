import type { VapidKeys } from "@block65/webcrypto-web-push";
import { ApiError } from "../protocol/index.ts";
import type { Env } from "./env.ts";

const SETUP_HINT =
  "Run `npm run vapid` for a key pair and store VAPID_PUBLIC_KEY, " +
  "VAPID_PRIVATE_KEY and VAPID_SUBJECT with `wrangler secret put`.";

/**
 * Reads the VAPID key pair and subject from the environment. Returns an
 * error naming the first missing or invalid variable instead of keys, so
 * the caller can report it.
 */
export function readVapidKeys(
  env: Pick<Env, "VAPID_PUBLIC_KEY" | "VAPID_PRIVATE_KEY" | "VAPID_SUBJECT">,
): { keys: VapidKeys } | { error: string } {
  const publicKey = env.VAPID_PUBLIC_KEY ?? "";
  const privateKey = env.VAPID_PRIVATE_KEY ?? "";
  const subject = env.VAPID_SUBJECT ?? "";
  if (publicKey === "" || privateKey === "" || subject === "") {
    return {
      error: `Notifications are not set up on this server. ${SETUP_HINT}`,
    };
  }
  if (base64urlLength(publicKey) !== 65 || !publicKey.startsWith("B")) {
    return {
      error: `VAPID_PUBLIC_KEY must be base64url of a 65-byte uncompressed P-256 point. ${SETUP_HINT}`,
    };
  }
  if (base64urlLength(privateKey) !== 32) {
    return {
      error: `VAPID_PRIVATE_KEY must be base64url of a 32-byte P-256 private key. ${SETUP_HINT}`,
    };
  }
  if (!/^(mailto:|https:)/.test(subject)) {
    return {
      error: `VAPID_SUBJECT must be a mailto: or https: URL. ${SETUP_HINT}`,
    };
  }
  return { keys: { publicKey, privateKey, subject } };
}

/** Returns the VAPID keys, or raises `unavailable` saying how to set them. */
export function requireVapidKeys(
  env: Pick<Env, "VAPID_PUBLIC_KEY" | "VAPID_PRIVATE_KEY" | "VAPID_SUBJECT">,
): VapidKeys {
  const result = readVapidKeys(env);
  if ("error" in result) throw new ApiError("unavailable", result.error);
  return result.keys;
}

/** Byte length of unpadded base64url text, or -1 when it is not base64url. */
function base64urlLength(text: string): number {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return -1;
  return Math.floor((text.length * 3) / 4);
}
