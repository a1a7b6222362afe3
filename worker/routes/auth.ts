import {
  ApiError,
  OTP_SENDS_PER_ADDRESS_PER_HOUR,
  OTP_TTL_MS,
  OTP_VERIFIES_PER_ADDRESS_PER_HOUR,
  RequestCodeBody,
  VerifyCodeBody,
} from "../../protocol/index.ts";
import { phoneDirectory, rateLimiter, userHub, type Env } from "../env.ts";
import { clientAddress, jsonResponse, readBody } from "../http.ts";
import { errorMessage, log } from "../log.ts";
import { toE164 } from "../phone.ts";
import { unwrap } from "../result.ts";
import type { ApiRouter } from "../router.ts";
import {
  clearedSessionCookie,
  requireSession,
  sessionCookie,
} from "../session.ts";
import { createSmsSender } from "../sms.ts";

const HOUR_MS = 60 * 60 * 1000;

async function limitAddress(
  env: Env,
  key: string,
  limit: number,
): Promise<void> {
  const decision = await rateLimiter(env, key).hit(limit, HOUR_MS);
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      `Too many attempts from this network. Try again in ${Math.ceil(decision.retryAfter / 60)} minutes.`,
      undefined,
      decision.retryAfter,
    );
  }
}

async function requestCode(request: Request, env: Env): Promise<Response> {
  const body = await readBody(request, RequestCodeBody);
  const phone = toE164(body.phone, body.region);
  const address = clientAddress(request);
  await limitAddress(
    env,
    `otp-send-ip:${address}`,
    OTP_SENDS_PER_ADDRESS_PER_HOUR,
  );
  const issued = unwrap(await phoneDirectory(env, phone).issueCode());
  const minutes = OTP_TTL_MS / 60_000;
  const text = `Your messenger code is ${issued.code}. It expires in ${minutes} minutes.`;
  try {
    await createSmsSender(env).send(phone, text);
  } catch (error) {
    log("sms.send_failed", { error: errorMessage(error) });
    throw new ApiError(
      "internal",
      "The code could not be sent. Try again later.",
    );
  }
  return jsonResponse({ phone, expiresAt: issued.expiresAt });
}

/**
 * Links a new account's number in the contacts of people who saved it
 * before, in the background once the account's hub has its profile.
 */
function announceJoin(
  env: Env,
  ctx: ExecutionContext,
  phone: string,
  userId: string,
): void {
  const directory = phoneDirectory(env, phone);
  ctx.waitUntil(
    directory.announceJoin(phone, userId).catch((error: unknown) => {
      log("auth.join_announce_failed", { userId, error: errorMessage(error) });
    }),
  );
}

async function verifyCode(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const body = await readBody(request, VerifyCodeBody);
  const phone = toE164(body.phone, body.region);
  const address = clientAddress(request);
  await limitAddress(
    env,
    `otp-verify-ip:${address}`,
    OTP_VERIFIES_PER_ADDRESS_PER_HOUR,
  );
  const account = unwrap(
    await phoneDirectory(env, phone).verifyCode(body.code),
  );
  const hub = userHub(env, account.userId);
  const session = await hub.createSession(
    account.userId,
    phone,
    body.deviceName,
  );
  if (account.isNew) announceJoin(env, ctx, phone, account.userId);
  const cookie = sessionCookie(request, { userId: account.userId, ...session });
  log("auth.signed_in", {
    userId: account.userId,
    deviceId: session.deviceId,
    isNew: account.isNew,
  });
  return jsonResponse(
    { me: session.me, deviceId: session.deviceId, isNew: account.isNew },
    200,
    { "Set-Cookie": cookie },
  );
}

async function logout(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  await userHub(env, me.id).revokeDevice(deviceId);
  return new Response(null, {
    status: 204,
    headers: { "Set-Cookie": clearedSessionCookie(request) },
  });
}

export function registerAuthRoutes(router: ApiRouter): void {
  router.post("/api/auth/code", requestCode);
  router.post("/api/auth/verify", verifyCode);
  router.post("/api/auth/logout", logout);
}
