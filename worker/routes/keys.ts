import {
  ApiError,
  ClaimBody,
  KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR,
  KEY_PACKAGE_CLAIMS_PER_HOUR,
  MAX_KEY_PACKAGE_CHARS,
  MAX_KEY_PACKAGES_PER_PUBLISH,
  OwnClaimBody,
  PublishKeysBody,
  type ClaimReply,
  type GroupDevice,
} from "../../protocol/index.ts";
import { mapWithLimit } from "../../durable-objects/user-hub/discovery.ts";
import { chatRoom, rateLimiter, userHub, type Env } from "../env.ts";
import { jsonResponse, readBody } from "../http.ts";
import { unwrap } from "../result.ts";
import type { ApiRequest, ApiRouter } from "../router.ts";
import { requireSession } from "../session.ts";
import { chatParam } from "./chats.ts";

/**
 * Maximum publish body read, in bytes: the maximum number of KeyPackages
 * at the maximum length plus a last resort, each with 64 bytes for quotes,
 * commas and whitespace. Base64url is ASCII, so one character is one byte.
 */
export const MAX_PUBLISH_BYTES =
  (MAX_KEY_PACKAGES_PER_PUBLISH + 1) * (MAX_KEY_PACKAGE_CHARS + 64);

/** Maximum number of hubs that one claim calls at once. */
export const CLAIM_CONCURRENCY = 8;

const HOUR_MS = 60 * 60 * 1000;

async function getStatus(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  return jsonResponse(await userHub(env, me.id).keyStatus(deviceId));
}

async function publish(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const body = await readBody(request, PublishKeysBody, MAX_PUBLISH_BYTES);
  const hub = userHub(env, me.id);
  return jsonResponse(unwrap(await hub.publishKeyPackages(deviceId, body)));
}

/**
 * Raises invalid_request naming the first device whose user is not a
 * member of the chat, for example `devices.2.userId`.
 */
function requireMemberDevices(
  devices: readonly GroupDevice[],
  memberIds: ReadonlySet<string>,
): void {
  const index = devices.findIndex((device) => !memberIds.has(device.userId));
  const device = devices[index];
  if (device === undefined) return;
  const field = `devices.${index}.userId`;
  throw new ApiError(
    "invalid_request",
    `${field}: ${device.userId} is not a member of this chat. ` +
      "Name only devices of members.",
    field,
  );
}

function deviceKey(device: GroupDevice): string {
  return `${device.userId}/${device.deviceId}`;
}

/** Groups device ids by their user, each user in order of first mention. */
function devicesByUser(devices: readonly GroupDevice[]): [string, string[]][] {
  const byUser = new Map<string, string[]>();
  for (const { userId, deviceId } of devices) {
    const deviceIds = byUser.get(userId) ?? [];
    deviceIds.push(deviceId);
    byUser.set(userId, deviceIds);
  }
  return [...byUser];
}

function minutesText(seconds: number): string {
  return `${Math.ceil(seconds / 60)} minutes`;
}

/**
 * Counts the claim of `devices` against the caller's hourly limits:
 * KEY_PACKAGE_CLAIMS_PER_HOUR in all, and
 * KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR of each device. Raises
 * rate_limited, naming the first device over its limit, when the claim
 * does not fit. A rejected claim stays counted for the limits it fitted.
 */
async function limitClaims(
  env: Env,
  claimerId: string,
  devices: readonly GroupDevice[],
): Promise<void> {
  // A device named twice is claimed once, so it counts once.
  const keys = [...new Set(devices.map(deviceKey))];
  const total = await rateLimiter(env, `key-claims:${claimerId}`).take(
    KEY_PACKAGE_CLAIMS_PER_HOUR,
    HOUR_MS,
    keys.length,
  );
  if (!total.allowed) {
    throw new ApiError(
      "rate_limited",
      `This claim would take your KeyPackage claims over ` +
        `${KEY_PACKAGE_CLAIMS_PER_HOUR} within an hour. Try again in ` +
        `${minutesText(total.retryAfter)}.`,
      undefined,
      total.retryAfter,
    );
  }

  const decisions = await mapWithLimit(keys, CLAIM_CONCURRENCY, (key) =>
    rateLimiter(env, `key-claims:${claimerId}:${key}`).hit(
      KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR,
      HOUR_MS,
    ),
  );
  const index = decisions.findIndex((decision) => !decision.allowed);
  const rejected = decisions[index];
  if (rejected === undefined) return;
  const key = keys[index] ?? "";
  const position = devices.findIndex((device) => deviceKey(device) === key);
  const field = `devices.${position}`;
  throw new ApiError(
    "rate_limited",
    `${field}: you claimed KeyPackages of device ${key} ` +
      `${KEY_PACKAGE_CLAIMS_PER_DEVICE_PER_HOUR} times within an hour, the ` +
      `limit for one device. Try again in ${minutesText(rejected.retryAfter)}.`,
    field,
    rejected.retryAfter,
  );
}

/**
 * Claims one KeyPackage for each device named, so that the caller can add
 * those devices to the chat's MLS group. Each user's hub is called once.
 * limitClaims keeps a member from using up another device's stock, after
 * which that device's last resort would be handed out.
 */
async function claim(request: ApiRequest, env: Env): Promise<Response> {
  const { me } = await requireSession(request, env);
  const chatId = chatParam(request);
  const { devices } = await readBody(request, ClaimBody);
  // detail() gives non-members and unknown chats the same `forbidden`.
  const room = chatRoom(env, chatId);
  const chat = unwrap(await room.detail(me.id, me.settings.readReceipts));
  requireMemberDevices(devices, new Set(chat.members.map((m) => m.userId)));
  await limitClaims(env, me.id, devices);
  return jsonResponse(await claimDevices(env, devices));
}

/**
 * Claims one KeyPackage of another device of the caller's own account,
 * which the caller seals the chat history to (protocol/history.ts).
 */
async function claimOwn(request: Request, env: Env): Promise<Response> {
  const { me, deviceId } = await requireSession(request, env);
  const body = await readBody(request, OwnClaimBody);
  const hub = userHub(env, me.id);
  const keyPackage = unwrap(
    await hub.claimOwnKeyPackage(deviceId, body.deviceId),
  );
  return jsonResponse({ keyPackage });
}

/**
 * Calls the hub of each user named, CLAIM_CONCURRENCY at a time, and lists
 * the results in the order of `devices`.
 */
async function claimDevices(
  env: Env,
  devices: readonly GroupDevice[],
): Promise<ClaimReply> {
  const groups = devicesByUser(devices);
  const results = await mapWithLimit(
    groups,
    CLAIM_CONCURRENCY,
    ([userId, deviceIds]) => userHub(env, userId).claimKeyPackages(deviceIds),
  );
  const claimed = new Map<string, string | null>();
  groups.forEach(([userId], index) => {
    for (const { deviceId, keyPackage } of results[index] ?? []) {
      claimed.set(deviceKey({ userId, deviceId }), keyPackage);
    }
  });

  const reply: ClaimReply = { keyPackages: [], unavailable: [] };
  for (const { userId, deviceId } of devices) {
    const key = deviceKey({ userId, deviceId });
    const keyPackage = claimed.get(key);
    // A device named twice was claimed once, so only its first mention
    // is reported.
    if (keyPackage === undefined) continue;
    claimed.delete(key);
    if (keyPackage === null) reply.unavailable.push({ userId, deviceId });
    else reply.keyPackages.push({ userId, deviceId, keyPackage });
  }
  return reply;
}

export function registerKeyRoutes(router: ApiRouter): void {
  router.get("/api/keys", getStatus);
  router.post("/api/keys", publish);
  router.post("/api/keys/own/claim", claimOwn);
  router.post("/api/chats/:chatId/mls/claim", claim);
}
