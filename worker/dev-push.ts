import { base64url, fromBase64url } from "./crypto.ts";
import { log } from "./log.ts";

/**
 * The development push service, which replaces a browser's push service
 * for subscriptions whose endpoint host is DEV_PUSH_HOST. It checks the
 * VAPID Authorization header as RFC 8292 says and keeps each accepted
 * push for GET /api/dev/push. Only used when ENVIRONMENT is "development".
 *
 * The pushes are module state. NOTE: like worker/dev-counters.ts, this
 * relies on workerd in development running the Worker and all its
 * Durable Objects in one isolate, and it is emptied when the server
 * restarts.
 */
export const DEV_PUSH_HOST = "push.invalid";

/** Pushes kept per endpoint; older ones are dropped first. */
const MAX_PUSHES_PER_ENDPOINT = 50;

/** Longest VAPID token lifetime a push service must accept (RFC 8292). */
const MAX_TOKEN_LIFETIME_S = 24 * 60 * 60;

/** One push the development push service accepted. */
export interface DevPush {
  /** Request headers, lower-case names, exactly as sent. */
  headers: Record<string, string>;
  /** The encrypted aes128gcm body, base64url. */
  body: string;
  receivedAt: number;
}

const WRONG_KEY = "the VAPID key is not the server's key";

const pushes = new Map<string, DevPush[]>();
const statuses = new Map<string, number>();

/** Returns whether pushes to `endpoint` go to the development service. */
export function isDevPushEndpoint(endpoint: string): boolean {
  try {
    return new URL(endpoint).hostname === DEV_PUSH_HOST;
  } catch {
    return false;
  }
}

/** Lists the pushes accepted for `endpoint`, oldest first. */
export function listDevPushes(endpoint: string): DevPush[] {
  return pushes.get(endpoint) ?? [];
}

/**
 * Makes `endpoint` respond to every later push with `status`. A 2xx status
 * restores normal service, in which accepted pushes are kept.
 */
export function setDevPushStatus(endpoint: string, status: number): void {
  statuses.set(endpoint, status);
}

/**
 * Receives one push as a push service would: 401 or 403 when the VAPID
 * header fails the checks, the status set for the endpoint when it is not
 * 2xx, else 201 with the push kept.
 */
export async function receiveDevPush(
  endpoint: string,
  request: { headers: Record<string, string>; body: Uint8Array },
  serverPublicKey: string,
): Promise<Response> {
  const problem = await checkVapid(
    request.headers.authorization ?? "",
    new URL(endpoint).origin,
    serverPublicKey,
  );
  if (problem !== null) {
    log("push.dev_rejected", { origin: DEV_PUSH_HOST, error: problem });
    // RFC 8292 specifies 403 when the key is not the subscription's key.
    const status = problem === WRONG_KEY ? 403 : 401;
    return new Response(problem, { status });
  }
  const status = statuses.get(endpoint);
  if (status !== undefined && (status < 200 || status > 299)) {
    return new Response(null, { status });
  }
  const kept = pushes.get(endpoint) ?? [];
  kept.push({
    headers: { ...request.headers },
    body: base64url(request.body),
    receivedAt: Date.now(),
  });
  pushes.set(endpoint, kept.slice(-MAX_PUSHES_PER_ENDPOINT));
  return new Response(null, { status: 201 });
}

/**
 * Checks a `vapid t=<JWT>, k=<key>` header: the key is the server's, the
 * JWT is ES256 signed by it, `aud` is the endpoint's origin, `exp` is in
 * the future and at most 24 hours away, and `sub` is present. Returns
 * what failed, or null.
 */
async function checkVapid(
  authorization: string,
  audience: string,
  serverPublicKey: string,
): Promise<string | null> {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
  if (match === null) return "Authorization is not a vapid t=…, k=… header";
  const [, token = "", key = ""] = match;
  if (key !== serverPublicKey) return WRONG_KEY;
  const [header = "", claims = "", signature = ""] = token.split(".");
  const publicKey = await crypto.subtle.importKey(
    "raw",
    fromBase64url(key),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const signed = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    publicKey,
    fromBase64url(signature),
    new TextEncoder().encode(`${header}.${claims}`),
  );
  if (!signed) return "the JWT signature does not verify with the key";
  const head = decodeJson(header);
  if (head?.alg !== "ES256") return "the JWT alg is not ES256";
  const body = decodeJson(claims);
  if (body?.aud !== audience) return `the JWT aud is not ${audience}`;
  const now = Date.now() / 1000;
  const exp = body.exp;
  if (typeof exp !== "number" || exp <= now) return "the JWT exp has passed";
  if (exp > now + MAX_TOKEN_LIFETIME_S) return "the JWT exp is over 24 h away";
  if (typeof body.sub !== "string" || body.sub === "") {
    return "the JWT has no sub";
  }
  return null;
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const text = new TextDecoder().decode(fromBase64url(part));
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
