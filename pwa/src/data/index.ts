/**
 * The data layer's public API. The UI imports only from this module.
 *
 * Service worker updates: `updateReady` turns true when a new version of the
 * app has been downloaded and waits; show a "New version ready" prompt and
 * call `applyUpdate()` when the person accepts, which activates the new
 * service worker and reloads the page.
 */
import type {
  ChatDetail,
  Device,
  MemberRole,
  PublicProfile,
  Settings,
} from "../../../protocol/index.ts";
import type {
  ChatRow,
  MessageRow,
  ReceiptDetail,
  SearchResult,
  Tick,
} from "./types.ts";

export type {
  ChatDetail,
  ChatMember,
  Device,
  Me,
  MemberRole,
  PublicProfile,
  Settings,
  SystemEvent,
  ErrorCode,
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

const TODO = (): never => {
  throw new Error("not implemented yet");
};

export {
  connection,
  revoked,
  session,
  updateReady,
} from "./state.ts";
export { applyUpdate } from "./update.ts";
export async function boot(): Promise<void> {}
export async function requestCode(
  _phone: string,
  _region?: string,
): Promise<{ phone: string; expiresAt: number }> {
  return TODO();
}
export async function verifyCode(
  _phone: string,
  _region: string | undefined,
  _code: string,
): Promise<{ isNew: boolean }> {
  return TODO();
}
export async function updateProfile(_patch: {
  displayName?: string;
  about?: string;
}): Promise<void> {}
export async function updateSettings(_patch: Partial<Settings>) {}
export async function logout(): Promise<void> {}
export async function listDevices(): Promise<Device[]> {
  return TODO();
}
export async function revokeDevice(_deviceId: string): Promise<void> {}
export async function lookupPhone(
  _phone: string,
  _region?: string,
): Promise<PublicProfile> {
  return TODO();
}
export async function openDirect(_userId: string): Promise<string> {
  return TODO();
}
export async function createGroup(
  _name: string,
  _memberIds: string[],
): Promise<string> {
  return TODO();
}
export async function renameGroup(_chatId: string, _name: string) {}
export async function addMembers(_chatId: string, _userIds: string[]) {}
export async function removeMember(_chatId: string, _userId: string) {}
export async function leaveChat(_chatId: string): Promise<void> {}
export async function setRole(
  _chatId: string,
  _userId: string,
  _role: MemberRole,
): Promise<void> {}
export async function updateInbox(
  _chatId: string,
  _patch: { pinned?: boolean; archived?: boolean; mutedUntil?: number },
): Promise<void> {}

export function useChats(): ChatRow[] | undefined {
  return undefined;
}
export function useChat(_chatId: string): ChatRow | undefined {
  return undefined;
}
export function useMessages(
  _chatId: string,
  _limit: number,
): MessageRow[] | undefined {
  return undefined;
}
export function useChatDetail(_chatId: string): ChatDetail | undefined {
  return undefined;
}
export function useProfile(_userId: string): PublicProfile | undefined {
  return undefined;
}
export function useSearch(_query: string): SearchResult | undefined {
  return undefined;
}
export function useTick(_message: MessageRow): Tick {
  return "pending";
}
export function useReceiptDetail(
  _chatId: string,
  _seq: number,
): ReceiptDetail[] | undefined {
  return undefined;
}

export async function sendText(
  _chatId: string,
  _text: string,
  _replyTo?: string,
): Promise<void> {}
export async function editMessage(_chatId: string, _id: string, _text: string) {}
export async function react(_chatId: string, _id: string, _emoji: string) {}
export async function deleteForMe(_chatId: string, _id: string) {}
export async function deleteForEveryone(_chatId: string, _id: string) {}
export async function retrySend(_id: string): Promise<void> {}
export async function discardFailed(_id: string): Promise<void> {}
export async function markRead(_chatId: string): Promise<void> {}
export async function loadOlder(
  _chatId: string,
  _signal?: AbortSignal,
): Promise<boolean> {
  return false;
}
export async function firstUnreadId(_chatId: string): Promise<string | null> {
  return null;
}
