import "fake-indexeddb/auto";
import type { StoredMessage } from "../../../protocol/index.ts";
import { db, wipeDatabase } from "../../../pwa/src/data/db.ts";
import {
  outboxDisconnected,
  resetOutbox,
} from "../../../pwa/src/data/outbox.ts";
import { resetProfiles } from "../../../pwa/src/data/profiles.ts";
import { resetReceipts } from "../../../pwa/src/data/receipts.ts";
import { syncDisconnected } from "../../../pwa/src/data/sync.ts";
import { session } from "../../../pwa/src/data/state.ts";
import { setSender } from "../../../pwa/src/data/wire.ts";
import type { ClientFrame } from "../../../protocol/index.ts";

export const CHAT = `dm_${"ab".repeat(16)}`;
export const ME = "0190a0b0-0000-7000-8000-00000000000a";
export const PEER = "0190a0b0-0000-7000-8000-00000000000b";
export const MY_DEVICE = "0190a0b0-0000-7000-8000-0000000000d1";

/** Returns a message id for sequence `n`, a UUIDv7 the schemas accept. */
export function idFor(n: number): string {
  return `0190a0b0-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
}

export function stored(
  seq: number,
  fields: Partial<StoredMessage> = {},
): StoredMessage {
  return {
    id: idFor(seq),
    chatId: CHAT,
    seq,
    kind: "message",
    ref: null,
    senderId: PEER,
    senderDeviceId: null,
    body: JSON.stringify({ v: 1, text: `text ${seq}` }),
    ts: 1_700_000_000_000 + seq,
    deleted: false,
    ...fields,
  };
}

export function edit(seq: number, ref: number, text: string, sender = PEER) {
  return stored(seq, {
    kind: "edit",
    ref: idFor(ref),
    senderId: sender,
    body: JSON.stringify({ v: 1, text }),
  });
}

export function reaction(
  seq: number,
  ref: number,
  emoji: string,
  sender = PEER,
) {
  return stored(seq, {
    kind: "reaction",
    ref: idFor(ref),
    senderId: sender,
    body: JSON.stringify({ v: 1, emoji }),
  });
}

/** Frames the data layer sent, captured in place of a socket. */
export const sentFrames: ClientFrame[] = [];

export function linkSocket(): void {
  setSender((frame) => sentFrames.push(frame));
}

export function unlinkSocket(): void {
  setSender(null);
  outboxDisconnected();
}

/** Empties Dexie, resets module state and signs in as ME, unlinked. */
export async function resetState(): Promise<void> {
  unlinkSocket();
  resetOutbox();
  syncDisconnected();
  resetReceipts();
  resetProfiles();
  sentFrames.length = 0;
  await db.open();
  await wipeDatabase();
  session.value = {
    me: {
      id: ME,
      phone: "+4930123456",
      displayName: "Me",
      about: "",
      photoId: null,
      settings: {
        readReceipts: true,
        lastSeen: "everyone",
        aboutVisibility: "everyone",
        photoVisibility: "everyone",
      },
      createdAt: 0,
    },
    deviceId: MY_DEVICE,
  };
}

export async function addChat(
  fields: { lastSeq?: number; readSeq?: number } = {},
) {
  await db.chats.put({
    id: CHAT,
    kind: "direct",
    name: null,
    peerId: PEER,
    role: "member",
    memberCount: 2,
    lastSeq: fields.lastSeq ?? 0,
    lastActivityAt: 0,
    unread: 0,
    readSeq: fields.readSeq ?? 0,
    pinned: false,
    archived: false,
    mutedUntil: 0,
    left: false,
    groupCall: null,
  });
}
