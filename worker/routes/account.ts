import {
  ApiError,
  DeleteAccountBody,
  deviceId as deviceIdSchema,
  LookupBody,
  ProfilesBody,
  UpdateProfileBody,
  UpdateSettingsBody,
  userId as userIdSchema,
} from "../../protocol/index.ts";
import {
  LOOKUP_CONCURRENCY,
  mapWithLimit,
} from "../../durable-objects/user-hub/discovery.ts";
import { deleteAccount } from "../account-deletion.ts";
import { userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { formatPhone, toE164 } from "../phone.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { clearedSessionCookie, requireSession } from "../session.ts";
import { originAllowed } from "./socket.ts";

async function getMe(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse({ me, deviceId });
}

async function patchMe(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const patch = await readBody(request, UpdateProfileBody);
  const updated = await userHub(env, me.id).updateProfile(patch);
  return jsonResponse({ me: updated, deviceId });
}

async function patchSettings(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const patch = await readBody(request, UpdateSettingsBody);
  const updated = await userHub(env, me.id).updateSettings(patch);
  return jsonResponse({ me: updated, deviceId });
}

async function listDevices(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const devices = await userHub(env, me.id).listDevices(deviceId);
  return jsonResponse({ devices });
}

async function revokeDevice(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const parsed = deviceIdSchema.safeParse(request.params.deviceId);
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `deviceId: ${parsed.error.issues[0]?.message}`,
      "deviceId",
    );
  }
  const target = parsed.data;
  const existed = await userHub(env, me.id).revokeDevice(target);
  if (!existed) {
    throw new ApiError(
      "not_found",
      `Device ${target} is not linked to your account.`,
      "deviceId",
    );
  }
  return new Response(null, { status: 204 });
}

async function lookup(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const body = await readBody(request, LookupBody);
  const phone = toE164(body.phone, body.region);
  const user = unwrap(await userHub(env, me.id).lookupNumber(phone));
  if (user === null) {
    throw new ApiError(
      "not_found",
      `No account uses ${formatPhone(phone)}. Invite them to the app.`,
      "phone",
    );
  }
  return jsonResponse({ user });
}

async function getUser(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const id = userIdSchema.safeParse(request.params.userId);
  const user = id.success
    ? await userHub(env, id.data).getProfile(me.id)
    : null;
  if (user === null) {
    throw new ApiError(
      "not_found",
      `No account has the id ${request.params.userId}.`,
      "userId",
    );
  }
  return jsonResponse({ user });
}

/**
 * Reads the profiles of up to MAX_PROFILE_BATCH people, each from its
 * owner's hub so that the owner's about and photo audiences apply to the
 * caller. Ids without an account are left out, which reveals no more
 * than the 404 of GET /api/users/:userId. User ids are UUIDv7 with 74
 * random bits, so accounts cannot be found by guessing ids.
 */
async function getProfiles(request: Request, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const { userIds } = await readBody(request, ProfilesBody);
  const found = await mapWithLimit(
    [...new Set(userIds)],
    LOOKUP_CONCURRENCY,
    (id) => userHub(env, id).getProfile(me.id),
  );
  return jsonResponse({ users: found.filter((user) => user !== null) });
}

/**
 * Deletes the caller's account. The session alone is not enough: the
 * body repeats the account's phone number, so a page left open or a
 * forged request cannot delete an account, and the request must come
 * from the app's own origin.
 */
async function deleteMe(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  if (!originAllowed(request, env)) {
    throw new ApiError(
      "bad_origin",
      "Accounts can only be deleted from the app itself.",
    );
  }
  const body = await readBody(request, DeleteAccountBody);
  if (toE164(body.phone, body.region) !== me.phone) {
    throw new ApiError(
      "invalid_request",
      "The number does not match this account's number. Type the number you signed up with.",
      "phone",
    );
  }
  await deleteAccount(env, { userId: me.id, deviceId, phone: me.phone });
  return new Response(null, {
    status: 204,
    headers: { "Set-Cookie": clearedSessionCookie(request) },
  });
}

export function registerAccountRoutes(router: ApiRouter): void {
  router.get("/api/me", getMe);
  router.patch("/api/me", patchMe);
  router.delete("/api/me", deleteMe);
  router.patch("/api/me/settings", patchSettings);
  router.get("/api/devices", listDevices);
  router.delete("/api/devices/:deviceId", revokeDevice);
  router.post("/api/users/lookup", lookup);
  router.post("/api/users/profiles", getProfiles);
  router.get("/api/users/:userId", getUser);
}
