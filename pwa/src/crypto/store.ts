import type {
  MessengerDb,
  MlsGroupRow,
  MlsIdentityRow,
  MlsKeyPackageRow,
  PreviewKeyRow,
} from "../data/db.ts";

/** A decrypted body kept until its message row stores it. */
interface KeptPlaintext {
  body: string;
  at: number;
}

const PLAINTEXT_PREFIX = "mls.plain.";

function plaintextKey(messageId: string): string {
  return PLAINTEXT_PREFIX + messageId;
}

/** Per database: the chat and epoch pairs whose preview key is stored. */
const previewKeysSeen = new WeakMap<MessengerDb, Set<string>>();

/**
 * IndexedDB storage of this device's MLS data: its identity, the private
 * parts of its KeyPackages and one group state per chat. A group state is
 * written after every operation that changes it, because reusing an old
 * state would encrypt with a key and nonce that were already used.
 */
export class MlsStore {
  constructor(private readonly db: MessengerDb) {}

  async identity(): Promise<MlsIdentityRow | undefined> {
    return this.db.mlsIdentity.get("device");
  }

  /**
   * Stores a new identity. The KeyPackages and group states of a previous
   * identity are deleted with it, because they carry its credential.
   */
  async replaceIdentity(row: MlsIdentityRow): Promise<void> {
    const { mlsIdentity, mlsKeyPackages, mlsGroups, previewKeys } = this.db;
    await this.db.transaction(
      "rw",
      [mlsIdentity, mlsKeyPackages, mlsGroups, previewKeys],
      async () => {
        await mlsKeyPackages.clear();
        await mlsGroups.clear();
        await previewKeys.clear();
        previewKeysSeen.delete(this.db);
        await mlsIdentity.put(row);
      },
    );
  }

  async addKeyPackages(rows: MlsKeyPackageRow[]): Promise<void> {
    await this.db.mlsKeyPackages.bulkAdd(rows);
  }

  async keyPackage(ref: string): Promise<MlsKeyPackageRow | undefined> {
    return this.db.mlsKeyPackages.get(ref);
  }

  async deleteKeyPackage(ref: string): Promise<void> {
    await this.db.mlsKeyPackages.delete(ref);
  }

  /** Deletes every last-resort KeyPackage except the one named `keep`. */
  async deleteLastResortExcept(keep: string): Promise<void> {
    await this.db.mlsKeyPackages
      .where("kind")
      .equals("last_resort")
      .and((row) => row.ref !== keep)
      .delete();
  }

  /**
   * Returns whether the chat's preview key of `epoch` is stored. A true
   * result is remembered per database, so most group operations skip the
   * read.
   */
  async hasPreviewKey(chatId: string, epoch: number): Promise<boolean> {
    let seen = previewKeysSeen.get(this.db);
    if (seen === undefined) {
      seen = new Set();
      previewKeysSeen.set(this.db, seen);
    }
    const id = `${chatId}\u0000${epoch}`;
    if (seen.has(id)) return true;
    if ((await this.db.previewKeys.get([chatId, epoch])) === undefined) {
      return false;
    }
    seen.add(id);
    return true;
  }

  /**
   * Stores a chat's preview key and deletes those of epochs `keep` or
   * more below it.
   */
  async putPreviewKey(row: PreviewKeyRow, keep: number): Promise<void> {
    const { previewKeys } = this.db;
    await this.db.transaction("rw", previewKeys, async () => {
      await previewKeys.put(row);
      if (row.epoch < keep) return;
      await previewKeys
        .where("[chatId+epoch]")
        .between([row.chatId, 0], [row.chatId, row.epoch - keep], true, true)
        .delete();
    });
  }

  async group(chatId: string): Promise<MlsGroupRow | undefined> {
    return this.db.mlsGroups.get(chatId);
  }

  async putGroup(row: MlsGroupRow): Promise<void> {
    await this.db.mlsGroups.put(row);
  }

  /**
   * Stores the group state left by decrypting a message together with its
   * plaintext, in one transaction. The state no longer contains the
   * message's key, so a page that closes before the plaintext reaches the
   * chat's rows finds it here instead of losing the message.
   */
  async putGroupWithPlaintext(
    row: MlsGroupRow,
    messageId: string,
    body: string,
  ): Promise<void> {
    const { mlsGroups, kv } = this.db;
    await this.db.transaction("rw", [mlsGroups, kv], async () => {
      await mlsGroups.put(row);
      await kv.put({
        key: plaintextKey(messageId),
        value: { body, at: Date.now() },
      });
    });
  }

  /** Plaintexts kept by `putGroupWithPlaintext`, by message id. */
  async plaintexts(messageIds: string[]): Promise<Map<string, string>> {
    const rows = await this.db.kv.bulkGet(messageIds.map(plaintextKey));
    const found = new Map<string, string>();
    rows.forEach((row, index) => {
      const value = row?.value as KeptPlaintext | undefined;
      if (typeof value?.body === "string")
        found.set(messageIds[index]!, value.body);
    });
    return found;
  }

  /**
   * Deletes kept plaintexts: those of `messageIds`, whose rows store them
   * now, and any older than `maxAgeMs`, whose message was never stored.
   */
  async forgetPlaintexts(
    messageIds: string[],
    maxAgeMs?: number,
  ): Promise<void> {
    const { kv } = this.db;
    await kv.bulkDelete(messageIds.map(plaintextKey));
    if (maxAgeMs === undefined) return;
    const before = Date.now() - maxAgeMs;
    await kv
      .where("key")
      .startsWith(PLAINTEXT_PREFIX)
      .filter((row) => !((row.value as KeptPlaintext).at > before))
      .delete();
  }

  /**
   * Stores the group state made from a Welcome and deletes the private
   * part of the KeyPackage it used (`usedRef`), in one transaction.
   */
  async saveJoinedGroup(
    row: MlsGroupRow,
    usedRef: string | null,
  ): Promise<void> {
    const { mlsKeyPackages, mlsGroups } = this.db;
    await this.db.transaction("rw", [mlsKeyPackages, mlsGroups], async () => {
      if (usedRef !== null) await mlsKeyPackages.delete(usedRef);
      await mlsGroups.put(row);
    });
  }

  async deleteGroup(chatId: string): Promise<void> {
    await this.db.mlsGroups.delete(chatId);
  }
}
