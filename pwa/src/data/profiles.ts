import { MAX_PROFILE_BATCH, ProfilesReply } from "../../../protocol/index.ts";
import { apiRequest } from "./api.ts";
import { db } from "./db.ts";
import { log } from "./log.ts";
import { connection } from "./state.ts";
import { ApiFailure } from "./types.ts";

/**
 * Profiles of other people, fetched over HTTP and cached in Dexie; the live
 * queries show the cache. Ids requested within COALESCE_MS go out together
 * in POST /api/users/profiles, MAX_PROFILE_BATCH per request, because a
 * contact list or a large group shows hundreds of people at once.
 *
 * Offline (navigator.onLine false, or since a request failed to reach the
 * server) nothing is requested. The ids wait, and go out in one batch when
 * the connection returns.
 */

/**
 * How long requested ids wait for more before their batch goes out, in
 * ms. Preact runs the effects queued by one render together after the
 * next paint, so the rows of one list request their profiles within this.
 */
const COALESCE_MS = 10;

/**
 * How long after a network failure parked ids are tried again, in ms.
 * They also go out when the socket reconnects, which ends most outages
 * sooner, so this timer matters when HTTP failed and the socket did not.
 */
const NETWORK_RETRY_MS = 30_000;

/** Fetches queued or in flight, by user id. */
const fetches = new Map<string, Promise<boolean>>();
/** Ids of the next batch, with the function that settles each fetch. */
let queue = new Map<string, (fetched: boolean) => void>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;
/** Ids requested while offline, fetched when the connection returns. */
const parked = new Set<string>();
/** True from a network failure until the connection returns. */
let unreachable = false;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
/** Ids fetched, being fetched or parked since this page loaded. */
const fetchedThisLoad = new Set<string>();
/** Time of each profile's latest successful fetch, in ms since the epoch. */
const fetchedAt = new Map<string, number>();

function isOffline(): boolean {
  // Node, which runs the unit tests, leaves navigator.onLine undefined.
  return unreachable || navigator.onLine === false;
}

/**
 * Fetches and stores a profile. Resolves to false when that failed, when
 * no account has the id, and at once when offline, in which case the
 * profile is fetched when the connection returns.
 */
export function fetchProfile(userId: string): Promise<boolean> {
  const running = fetches.get(userId);
  if (running !== undefined) return running;
  if (isOffline()) {
    parked.add(userId);
    return Promise.resolve(false);
  }
  const fetching = new Promise<boolean>((resolve) => {
    queue.set(userId, resolve);
  });
  fetches.set(userId, fetching);
  flushTimer ??= setTimeout(() => void flushQueue(), COALESCE_MS);
  return fetching;
}

/** Sends the queued ids, split into requests of MAX_PROFILE_BATCH. */
async function flushQueue(): Promise<void> {
  flushTimer = undefined;
  const settlers = queue;
  queue = new Map();
  const userIds = [...settlers.keys()];
  const requests: Promise<void>[] = [];
  for (let start = 0; start < userIds.length; start += MAX_PROFILE_BATCH) {
    const batch = userIds.slice(start, start + MAX_PROFILE_BATCH);
    requests.push(fetchBatch(batch, settlers));
  }
  await Promise.all(requests);
}

/**
 * Fetches one request's profiles and settles their fetches. A network
 * failure parks the ids and stops requests until the connection returns.
 * Other failures only settle the fetches, so a later call tries again.
 */
async function fetchBatch(
  userIds: string[],
  settlers: Map<string, (fetched: boolean) => void>,
): Promise<void> {
  let stored = new Set<string>();
  try {
    const { users } = await apiRequest(
      "POST",
      "/users/profiles",
      ProfilesReply,
      { userIds },
    );
    await db.profiles.bulkPut(users);
    stored = new Set(users.map((user) => user.id));
    const now = Date.now();
    for (const id of stored) fetchedAt.set(id, now);
    const missing = userIds.filter((id) => !stored.has(id));
    if (missing.length > 0) log("profiles_not_found", { userIds: missing });
  } catch (error) {
    const network = error instanceof ApiFailure && error.status === 0;
    log("profiles_fetch_failed", {
      count: userIds.length,
      error: String(error),
      parked: network,
    });
    if (network) {
      for (const id of userIds) parked.add(id);
      markUnreachable();
    }
  }
  for (const id of userIds) {
    fetches.delete(id);
    settlers.get(id)?.(stored.has(id));
  }
}

function markUnreachable(): void {
  unreachable = true;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(resumeParked, NETWORK_RETRY_MS);
}

/** Fetches the parked ids, in one batch unless there are more than fit. */
function resumeParked(): void {
  unreachable = false;
  clearTimeout(retryTimer);
  retryTimer = undefined;
  const userIds = [...parked];
  parked.clear();
  for (const id of userIds) trackFetch(id);
}

// The connection turns online at every `ready` frame, and follower tabs
// mirror the leader's state, so parked ids go out in every tab.
connection.subscribe((state) => {
  if (state === "online" && (unreachable || parked.size > 0)) resumeParked();
});

/**
 * Fetches a profile and counts it as fetched this page load, unless the
 * fetch failed without being parked: then the next refreshProfileOnce
 * tries again.
 */
function trackFetch(userId: string): void {
  fetchedThisLoad.add(userId);
  void fetchProfile(userId).then((fetched) => {
    if (!fetched && !parked.has(userId)) fetchedThisLoad.delete(userId);
  });
}

/**
 * Fetches a profile once per page load, cached or not, so that a new name
 * or photo, or a photo the owner now hides, shows after a reload. A failed
 * fetch is tried again by the next call. A fetch parked while offline
 * runs when the connection returns.
 */
export function refreshProfileOnce(userId: string): void {
  if (!fetchedThisLoad.has(userId)) trackFetch(userId);
}

/**
 * Fetches the given profiles again, cached or not, except those fetched
 * less than `maxAgeMs` ago. Profiles already being fetched are not
 * requested twice.
 */
export function refreshProfiles(userIds: Iterable<string>, maxAgeMs = 0): void {
  const now = Date.now();
  for (const id of new Set(userIds)) {
    if (now - (fetchedAt.get(id) ?? -Infinity) >= maxAgeMs) trackFetch(id);
  }
}

/** Fetches the profiles of the given users that are not cached yet. */
export async function ensureProfiles(userIds: Iterable<string>) {
  const requested = [...new Set(userIds)];
  const cached = await db.profiles.bulkGet(requested);
  const missing = requested.filter((_, index) => cached[index] === undefined);
  await Promise.all(missing.map((userId) => fetchProfile(userId)));
}

/**
 * Forgets queued, parked and fetched ids, because the person logged out.
 * Fetches already sent still settle; their results are stored as usual.
 */
export function resetProfiles(): void {
  clearTimeout(flushTimer);
  clearTimeout(retryTimer);
  flushTimer = undefined;
  retryTimer = undefined;
  for (const settle of queue.values()) settle(false);
  for (const id of queue.keys()) fetches.delete(id);
  queue = new Map();
  parked.clear();
  unreachable = false;
  fetchedThisLoad.clear();
  fetchedAt.clear();
}
