import {
  DevicesReply,
  MeReply,
  PhotoReply,
  RequestCodeReply,
  SessionReply,
  type Device,
  type Me,
  type Settings,
} from "../../../protocol/index.ts";
import { apiRequest, setUnauthenticatedHandler } from "./api.ts";
import { resetContacts, watchContacts } from "./contacts.ts";
import { loadSession, saveSession, wipeDatabase } from "./db.ts";
import { log } from "./log.ts";
import { unsubscribeForLogout } from "./notifications.ts";
import { clearPhotoCache } from "./photo-cache.ts";
import { resetOutbox } from "./outbox.ts";
import { resetProfiles } from "./profiles.ts";
import { DeviceLink } from "./device-link.ts";
import { resetReceipts } from "./receipts.ts";
import { forgetAllUnsavedSends, queueUnsavedSends } from "./unsaved-sends.ts";
import { accountDeleted, connection, revoked, session } from "./state.ts";
import { requestPersistentStorage } from "./storage.ts";
import { syncDisconnected } from "./sync.ts";
import type { Session } from "./types.ts";
import { ApiFailure } from "./types.ts";

/**
 * Sign-in, the account, devices, and the socket's lifetime around them.
 * Every tab of the app runs this module. A sign-in, an account change, a
 * logout or a revocation in one tab reaches the others through the link.
 */

const link = new DeviceLink({
  onRevoked: (deleted) => void endRevokedSession(deleted),
  onRepeatedFailure: () => void checkSession(),
  onSession: (value) => void startSession(value),
  onSignedOut: (wasRevoked, deleted) => signedOutElsewhere(wasRevoked, deleted),
});

let booted: Promise<void> | null = null;
/** True while `logout` runs, which ends the session itself. */
let loggingOut = false;

/** Stores the session and connects; `announce` sends it to other tabs. */
async function startSession(value: Session, announce = false) {
  // A reply to a request sent before a logout must not sign in again,
  // and the logout may start while the session is being saved.
  if (loggingOut) return;
  await saveSession(value);
  if (loggingOut) return;
  session.value = value;
  revoked.value = false;
  watchContacts();
  link.start();
  if (announce) link.announceSession(value);
  void queueUnsavedSends(value.me.id);
}

/** Closes the link and clears this tab's in-memory state. */
function resetMemory(): void {
  link.stop();
  syncDisconnected();
  resetOutbox();
  resetContacts();
  resetProfiles();
  resetReceipts();
}

async function clearLocalState(): Promise<void> {
  resetMemory();
  forgetAllUnsavedSends();
  await wipeDatabase();
  await clearPhotoCache().catch((error: unknown) => {
    log("photo_cache_clear_failed", { error: String(error) });
  });
  session.value = null;
}

/**
 * This device was logged out elsewhere, its session ended, or its account
 * was deleted (`deleted`) from another device.
 */
async function endRevokedSession(deleted = false): Promise<void> {
  // NOTE: work already running when the session ends, such as a history
  // import from another device, can store rows after the wipe below. An
  // end-to-end test saw chat messages left behind this way.
  // Only a signed-in device can be revoked. A 401 while booting without a
  // stored session means that no one has signed in on this browser yet.
  // The server also closes the socket of a device that logs out, which is
  // no revocation.
  if (!session.value || loggingOut) return;
  log("session_revoked", { accountDeleted: deleted });
  await clearLocalState();
  revoked.value = true;
  accountDeleted.value = deleted;
  link.announceSignedOut(true, deleted);
}

/**
 * Another tab logged out or found the session revoked, and wiped Dexie.
 * This tab stops using the session too, and shows what that tab shows.
 */
function signedOutElsewhere(wasRevoked: boolean, deleted: boolean): void {
  if (session.value) {
    log("session_ended_in_other_tab", { revoked: wasRevoked });
    resetMemory();
    session.value = null;
  }
  revoked.value = wasRevoked;
  accountDeleted.value = deleted;
}

/** Reads the account. A 401 ends the session through the API handler. */
async function checkSession(): Promise<void> {
  try {
    const reply = await apiRequest("GET", "/me", MeReply);
    if (session.value) await startSession(reply);
  } catch (error) {
    log("session_check_failed", { error: String(error) });
  }
}

async function bootOnce(): Promise<void> {
  setUnauthenticatedHandler(
    (failure) => void endRevokedSession(failure.code === "account_deleted"),
  );
  link.listen();
  const stored = await loadSession();
  if (stored !== null) {
    // Offline first: show the stored state now and refresh the account
    // in the background.
    await startSession(stored);
    void checkSession();
    return;
  }
  if (!(await finishPendingLogout())) {
    session.value = null;
    return;
  }
  try {
    await startSession(await apiRequest("GET", "/me", MeReply));
  } catch {
    session.value = null;
    connection.value = "offline";
  }
}

/** Loads the stored session and connects. Safe to call more than once. */
export function boot(): Promise<void> {
  booted ??= bootOnce();
  return booted;
}

export async function requestCode(phone: string, region?: string) {
  return apiRequest(
    "POST",
    "/auth/code",
    RequestCodeReply,
    { phone, region },
    {
      signedIn: false,
    },
  );
}

const BROWSERS: Array<[RegExp, string]> = [
  [/Edg\//, "Edge"],
  [/Firefox\//, "Firefox"],
  [/Chrome\//, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS: Array<[RegExp, string]> = [
  [/Android/, "Android"],
  [/iPhone|iPad/, "iOS"],
  [/Mac OS X/, "macOS"],
  [/Windows/, "Windows"],
  [/Linux/, "Linux"],
];

/** Returns a name for this device in the linked devices list. */
function deviceName(): string {
  const agent = navigator.userAgent;
  const browser =
    BROWSERS.find(([pattern]) => pattern.test(agent))?.[1] ?? "Browser";
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  return system === undefined ? browser : `${browser} on ${system}`;
}

export async function verifyCode(
  phone: string,
  region: string | undefined,
  code: string,
): Promise<{ isNew: boolean }> {
  const body = { phone, region, code, deviceName: deviceName() };
  const reply = await apiRequest("POST", "/auth/verify", SessionReply, body, {
    signedIn: false,
  });
  // A new sign-in replaced the cookie that an offline logout left behind.
  localStorage.removeItem(LOGOUT_PENDING_KEY);
  await startSession({ me: reply.me, deviceId: reply.deviceId }, true);
  await requestPersistentStorage();
  return { isNew: reply.isNew };
}

function requireSession(): Session {
  const current = session.value;
  if (!current) {
    throw new ApiFailure("unauthenticated", "Sign in first.", 401);
  }
  return current;
}

export async function updateProfile(patch: {
  displayName?: string;
  about?: string;
}): Promise<void> {
  requireSession();
  const reply = await apiRequest("PATCH", "/me", MeReply, patch);
  await startSession(reply, true);
}

export async function updateSettings(patch: Partial<Settings>) {
  requireSession();
  const reply = await apiRequest("PATCH", "/me/settings", MeReply, patch);
  await startSession(reply, true);
}

/** Stores a change of the signed-in account and passes it to other tabs. */
async function patchMe(patch: Partial<Me>): Promise<void> {
  const current = requireSession();
  await startSession({ ...current, me: { ...current.me, ...patch } }, true);
}

/**
 * Uploads `image` (JPEG or WebP, already scaled down) as the profile photo.
 * An abort through `signal` rejects with the AbortError of fetch.
 */
export async function setProfilePhoto(
  image: Blob,
  signal?: AbortSignal,
): Promise<void> {
  requireSession();
  const options = signal === undefined ? {} : { signal };
  const { photoId } = await apiRequest(
    "PUT",
    "/me/photo",
    PhotoReply,
    image,
    options,
  );
  await patchMe({ photoId });
}

export async function removeProfilePhoto(): Promise<void> {
  requireSession();
  await apiRequest("DELETE", "/me/photo", null);
  await patchMe({ photoId: null });
}

/**
 * Marks a logout the server has not confirmed. The session cookie is
 * HttpOnly, so only the server can end it, and until then a reload would
 * sign this browser in again.
 */
const LOGOUT_PENDING_KEY = "messenger.logoutPending";

/** Sends the logout request; true once the server session is gone. */
async function requestLogout(): Promise<boolean> {
  try {
    await apiRequest("POST", "/auth/logout", null, undefined, {
      signedIn: false,
    });
    return true;
  } catch (error) {
    log("logout_request_failed", { error: String(error) });
    return error instanceof ApiFailure && error.status === 401;
  }
}

/** Retries a logout made offline; false while it is still not confirmed. */
export async function finishPendingLogout(): Promise<boolean> {
  if (localStorage.getItem(LOGOUT_PENDING_KEY) === null) return true;
  if (!(await requestLogout())) return false;
  localStorage.removeItem(LOGOUT_PENDING_KEY);
  return true;
}

/**
 * Logs this device out on the server (when reachable) and wipes Dexie.
 * With `deleteAccount`, runs it first instead of the logout request, and
 * wipes nothing when it rejects. The other tabs then show the account as
 * deleted, and the socket closes that the deletion causes are not taken
 * for a deletion from another device.
 */
export async function logout(
  deleteAccount?: () => Promise<void>,
): Promise<void> {
  const deleting = deleteAccount !== undefined;
  if (deleting) {
    requireSession();
    loggingOut = true;
    try {
      await deleteAccount();
    } catch (error) {
      loggingOut = false;
      throw error;
    }
  }
  // This tab leaves the election first, so that it does not take over the
  // socket that the leader closes. The other tabs close their link before
  // the server ends the session, so none of them takes it for a revocation.
  link.stop();
  link.announceSignedOut(deleting, deleting);
  loggingOut = true;
  try {
    // The DELETE of the push subscription needs the session.
    await unsubscribeForLogout();
    if (!deleting && !(await requestLogout())) {
      // Offline: the local data goes now, the server session at next boot.
      localStorage.setItem(LOGOUT_PENDING_KEY, "1");
    }
    await clearLocalState();
  } finally {
    loggingOut = false;
  }
  revoked.value = false;
  accountDeleted.value = false;
}

export async function listDevices(): Promise<Device[]> {
  const reply = await apiRequest("GET", "/devices", DevicesReply);
  return reply.devices;
}

export async function revokeDevice(deviceId: string): Promise<void> {
  await apiRequest("DELETE", `/devices/${deviceId}`, null);
}
