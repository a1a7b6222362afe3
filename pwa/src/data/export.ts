import type { Contact, Me } from "../../../protocol/index.ts";
import { db } from "./db.ts";
import { contactsByUserId } from "./names.ts";
import {
  chatTitle,
  describeSystem,
  makeNameOf,
  type NameSources,
} from "./rows.ts";

/** Name of the export format, so other tools can recognise the file. */
export const EXPORT_FORMAT = "messenger-export";
export const EXPORT_VERSION = 1;

export interface ExportedMessage {
  id: string;
  /** Position in the chat; null for a message that was never sent. */
  seq: number | null;
  /** ISO 8601 time: the server's for sent messages, else the device's. */
  sentAt: string;
  senderId: string;
  sender: string;
  kind: "message" | "system";
  /** The text, the caption of a file, or the wording of a system event. */
  text: string;
  file: { name: string; type: string; bytes: number } | null;
  replyTo: string | null;
  editedAt: string | null;
  /** Emoji per reacting person's name. */
  reactions: Record<string, string>;
  deletedForEveryone: boolean;
  notSent: boolean;
}

export interface ExportedChat {
  id: string;
  kind: "direct" | "group";
  title: string;
  messages: ExportedMessage[];
}

/** Everything this device holds for its person, as one JSON document. */
export interface DataExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  account: Me;
  deviceId: string;
  contacts: Pick<Contact, "phone" | "name" | "userId">[];
  chats: ExportedChat[];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Builds the export of what this device holds: the account and its
 * settings, the saved contacts, and every chat with the messages stored
 * here, decrypted. Messages deleted for me and MLS commits are left out,
 * and files appear by name and size only, because their bytes may not be
 * on this device.
 */
export async function buildDataExport(
  account: Me,
  deviceId: string,
  now = Date.now(),
): Promise<DataExport> {
  const [chats, profiles, saved] = await Promise.all([
    db.chats.toArray(),
    db.profiles.toArray(),
    db.contacts.toArray(),
  ]);
  const sources: NameSources = {
    me: account.id,
    contacts: contactsByUserId(saved),
    profiles: new Map(profiles.map((profile) => [profile.id, profile])),
  };
  const nameOf = makeNameOf(sources);
  const exported: ExportedChat[] = [];
  for (const chat of chats) {
    const rows = await db.messages
      .where("[chatId+order]")
      .between([chat.id, -Infinity], [chat.id, Infinity])
      .toArray();
    const messages: ExportedMessage[] = [];
    for (const row of rows) {
      if (row.kind === "commit" || row.hidden) continue;
      const text =
        row.kind === "system" && row.system !== null
          ? describeSystem(row.system, nameOf, account.id)
          : row.text;
      messages.push({
        id: row.id,
        seq: row.seq,
        sentAt: iso(row.ts),
        senderId: row.senderId,
        sender: nameOf(row.senderId),
        kind: row.kind,
        text,
        file:
          row.media === null
            ? null
            : {
                name: row.media.name,
                type: row.media.mime,
                bytes: row.media.size,
              },
        replyTo: row.replyTo,
        editedAt: row.editedAt === null ? null : iso(row.editedAt),
        reactions: Object.fromEntries(
          Object.entries(row.reactions).map(([userId, emoji]) => [
            nameOf(userId),
            emoji,
          ]),
        ),
        deletedForEveryone: row.deleted,
        notSent: row.seq === null,
      });
    }
    exported.push({
      id: chat.id,
      kind: chat.kind,
      title: chatTitle(chat, sources),
      messages,
    });
  }
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: iso(now),
    account,
    deviceId,
    contacts: saved.map(({ phone, name, userId }) => ({ phone, name, userId })),
    chats: exported,
  };
}

/** File name of an export made at `now`: messenger-export-2026-12-05.json. */
export function exportFileName(now = Date.now()): string {
  return `${EXPORT_FORMAT}-${iso(now).slice(0, 10)}.json`;
}
