/**
 * The data layer's public API. The UI imports only from this module.
 *
 * Dexie is the source of truth: render from the hooks, which re-render when
 * stored rows change, and call the actions, which write Dexie first and send
 * through the socket or HTTP afterwards.
 *
 * App updates: `updateReady` turns true when a new version of the app has
 * been downloaded and waits. Show a "New version ready" prompt and call
 * `applyUpdate()` when the person accepts: the new service worker takes over
 * and the page reloads.
 *
 * `loadOlder` takes an optional AbortSignal, because it waits for a
 * connection when offline.
 *
 * Contacts: `contacts` (by phone number) and `contactsByUser` mirror the
 * stored contacts in every tab, and a saved name replaces a person's own
 * name wherever the app shows them (see `resolveName`).
 */

export type {
  Audience,
  ChatDetail,
  ChatMember,
  Contact,
  Device,
  LastSeenPrivacy,
  Presence,
  ErrorCode,
  Me,
  MemberRole,
  PublicProfile,
  Settings,
  SystemEvent,
} from "../../../protocol/index.ts";
export {
  ApiFailure,
  type ChatPreview,
  type ChatRow,
  type ConnectionState,
  type MessageRow,
  type MessageStatus,
  type ReceiptDetail,
  type SearchResult,
  type Session,
  type Tick,
} from "./types.ts";

export { MEDIA_ERROR_TEXT } from "./rows.ts";

// ---- signals ----
export {
  accountDeleted,
  connection,
  revoked,
  session,
  updateReady,
} from "./state.ts";
export { applyUpdate } from "./update.ts";
export {
  estimateStorage,
  storageFull,
  STORAGE_FULL_MESSAGE,
  type StorageUse,
} from "./storage.ts";

// ---- lifecycle & account ----
export {
  boot,
  listDevices,
  logout,
  requestCode,
  removeProfilePhoto,
  revokeDevice,
  setProfilePhoto,
  updateProfile,
  updateSettings,
  verifyCode,
} from "./session.ts";

// ---- live queries ----
export {
  useChat,
  useChatDetail,
  useChats,
  useHasMessageFrom,
  useMessages,
  usePhotoId,
  useProfile,
  useReceiptDetail,
  useSearch,
  useTick,
} from "./hooks.ts";

export { photoUrl } from "./photo-cache.ts";

// ---- notifications ----
export {
  checkSubscription,
  closeChatNotifications,
  notificationState,
  type NotificationState,
} from "./notifications.ts";
export {
  loadNotificationSettings,
  saveNotificationSettings,
  type NotificationSettings,
} from "./notification-settings.ts";

// ---- presence, typing, contacts and blocks ----
export {
  composerChanged,
  composerIdle,
  usePresence,
  useTyping,
  viewChat,
  viewListed,
  type TypingEntry,
} from "./presence.ts";
export {
  blocked,
  contacts,
  contactsByUser,
  contactsReady,
  contactsRefresh,
  loadContacts,
  refreshContactProfiles,
} from "./contacts.ts";
export {
  DELETED_NAME,
  LOADING_NAME,
  nameText,
  resolveName,
  type ResolvedName,
} from "./names.ts";
export type { ImportPlan, PickedContact, Vcard } from "./contact-import.ts";

// ---- safety numbers ----
export {
  clearVerification,
  markVerified,
  useKeyChangeNotices,
  useMlsEpoch,
  useVerification,
  type KeyChangeNoticeRow,
  type VerificationRow,
} from "./verification.ts";

/**
 * Loads the vCard parser and the import planner, with libphonenumber-js,
 * in a chunk of their own: only an import needs them.
 */
export function loadContactImport() {
  return import("./contact-import.ts");
}

// ---- messages ----
export { countUnsent } from "./outbox.ts";
export {
  deleteForEveryone,
  deleteForMe,
  discardFailed,
  editFailed,
  editMessage,
  firstUnreadId,
  loadOlder,
  markRead,
  react,
  retrySend,
  sendText,
} from "./messages.ts";
