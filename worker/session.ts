import { ApiError, type Me } from "../protocol/index.ts";
import { userHub, type Env } from "./env.ts";

const COOKIE_NAME = "session";
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;
const UUID_RE =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

export interface SessionToken {
  userId: string;
  deviceId: string;
  secret: string;
}

export interface Session {
  me: Me;
  deviceId: string;
}

/** Reads `session=<userId>.<deviceId>.<secret>` from the Cookie header. */
export function readSessionCookie(request: Request): SessionToken | null {
  const header = request.headers.get("Cookie") ?? "";
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name !== COOKIE_NAME) continue;
    const [userId, deviceId, secret] = rest.join("=").split(".");
    if (
      userId !== undefined &&
      UUID_RE.test(userId) &&
      deviceId !== undefined &&
      UUID_RE.test(deviceId) &&
      secret !== undefined &&
      SECRET_RE.test(secret)
    ) {
      return { userId, deviceId, secret };
    }
  }
  return null;
}

function cookieAttributes(request: Request, maxAge: number): string {
  const host = new URL(request.url).hostname;
  const local = host === "localhost" || host === "127.0.0.1";
  const secure = local ? "" : "; Secure";
  return `HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${secure}`;
}

export function sessionCookie(request: Request, token: SessionToken): string {
  const value = `${token.userId}.${token.deviceId}.${token.secret}`;
  return `${COOKIE_NAME}=${value}; ${cookieAttributes(request, ONE_YEAR_SECONDS)}`;
}

export function clearedSessionCookie(request: Request): string {
  return `${COOKIE_NAME}=; ${cookieAttributes(request, 0)}`;
}

/**
 * Raises account_deleted when the session's account was deleted, so that
 * its devices can tell a deletion from a revoked session.
 */
async function rejectDeletedAccount(
  env: Env,
  token: SessionToken,
): Promise<void> {
  const state = await userHub(env, token.userId).accountState();
  if (state !== "deleted") return;
  throw new ApiError(
    "account_deleted",
    "This account was deleted. Sign up again to use the app.",
  );
}

/** Resolves the session cookie through the user's hub, or raises 401. */
export async function requireSession(
  request: Request,
  env: Env,
): Promise<Session> {
  const token = readSessionCookie(request);
  const me =
    token === null
      ? null
      : await userHub(env, token.userId).authenticate(
          token.deviceId,
          token.secret,
        );
  if (token !== null && me === null) await rejectDeletedAccount(env, token);
  if (token === null || me === null) {
    throw new ApiError(
      "unauthenticated",
      "Sign in first: the session is missing, expired or revoked.",
    );
  }
  return { me, deviceId: token.deviceId };
}
