import type { StoredMessage } from "../../../protocol/index.ts";
import {
  encryptMessage,
  loadOrCreateIdentity,
  MlsOperationError,
  MlsStore,
  type DeviceIdentity,
} from "../crypto/index.ts";
import { sealPreview } from "../crypto/preview.ts";
import type { EncryptionFrame } from "../data/encryption-events.ts";
import { log } from "../data/log.ts";
import { ApiFailure } from "../data/types.ts";
import { GroupKeeper, type Readiness } from "./groups.ts";
import { HistoryTransfers } from "./history.ts";
import { decryptIncoming, encryptedRows, isEncrypted } from "./incoming.ts";
import { topUpKeyPackages } from "./keys.ts";
import type { EngineOptions } from "./types.ts";

/**
 * How long a plaintext kept by decryption waits for its message row; one
 * never stored (its chat was deleted meanwhile) is dropped after it.
 */
const KEPT_PLAINTEXT_MS = 7 * 24 * 60 * 60 * 1000;

export type { EngineOptions, HttpClient } from "./types.ts";

/**
 * A ready group is checked with the server again after this long, so a
 * device added while no frame reached this one is added before a send.
 */
export const READY_RECHECK_MS = 3 * 60_000;

/**
 * A chat waiting to join is checked again after this long at the earliest,
 * unless an `mls.pending` frame or a membership change comes first.
 */
export const WAITING_RECHECK_MS = 15_000;

interface ChatState {
  /** When the group was last found ready, 0 when it must be checked. */
  readyAt: number;
  checking: Promise<Readiness> | null;
  /** When the group was last found not ready, 0 when never. */
  waitingAt: number;
  /** Bumped by every change, so a check that started before is redone. */
  generation: number;
  /**
   * Until when the server rejects this device's group changes with
   * `rate_limited` (ms since the epoch), 0 when it does not.
   */
  limitedUntil: number;
}

/**
 * End-to-end encryption of one signed-in device: publishes its
 * KeyPackages, keeps each chat's MLS group ready before a send, encrypts
 * outgoing bodies and decrypts incoming ones. Only the leader tab runs it.
 */
export class EncryptionEngine {
  private readonly store: MlsStore;
  private readonly chats = new Map<string, ChatState>();
  private publishing: Promise<void> | null = null;
  /** Whether the next publish replaces the stock the server stores. */
  private replaceKeys = false;
  /** Decryptions run one at a time, so no message is decrypted twice. */
  private decrypting: Promise<unknown> = Promise.resolve();
  /** Plaintexts decrypted lately, for copies not stored yet. */
  private readonly recent = new Map<string, string>();
  private readonly history: HistoryTransfers;

  private constructor(
    private readonly options: EngineOptions,
    private readonly identity: DeviceIdentity,
    private readonly keeper: GroupKeeper,
  ) {
    this.store = new MlsStore(options.db);
    this.history = new HistoryTransfers(options);
  }

  /** Loads or creates the device identity and starts publishing keys. */
  static async start(options: EngineOptions): Promise<EncryptionEngine> {
    const store = new MlsStore(options.db);
    const stored = await store.identity();
    const identity = await loadOrCreateIdentity(
      store,
      options.userId,
      options.deviceId,
    );
    const keeper = new GroupKeeper(options, store, identity);
    const engine = new EncryptionEngine(options, identity, keeper);
    // A device that creates its identity again, after its IndexedDB was
    // cleared, lost the private keys of the KeyPackages it published.
    engine.replaceKeys =
      stored?.userId !== options.userId || stored.deviceId !== options.deviceId;
    void engine.publishKeys();
    void engine.history.receive();
    void store.forgetPlaintexts([], KEPT_PLAINTEXT_MS);
    return engine;
  }

  /**
   * Publishes KeyPackages until the stock is full, one run at a time. The
   * first run after a new identity replaces the stock on the server.
   */
  publishKeys(): Promise<void> {
    this.publishing ??= topUpKeyPackages(
      this.options.http,
      this.store,
      this.identity,
      this.replaceKeys,
    )
      .then(() => {
        this.replaceKeys = false;
      })
      .catch((error: unknown) => {
        log("e2ee_keys_publish_failed", { error: String(error) });
      })
      .finally(() => {
        this.publishing = null;
      });
    return this.publishing;
  }

  handleFrame(frame: EncryptionFrame): void {
    switch (frame.type) {
      case "keys.low":
        void this.publishKeys();
        return;
      case "mls.pending":
        this.invalidate(frame.chatId);
        void this.settle(frame.chatId);
        return;
      case "history.request":
        void this.history.send(frame.deviceId);
        return;
      case "history.ready":
        void this.history.receive();
        return;
      default: {
        const unhandled: never = frame;
        return unhandled;
      }
    }
  }

  /**
   * Makes the chat's group ready as before a send: creates it, joins it or
   * adds missing devices. Calls need it, because their keys come from it.
   */
  async prepareGroup(chatId: string): Promise<void> {
    await this.ready(chatId);
  }

  /** Marks the chat's group for a check with the server before a send. */
  invalidate(chatId: string): void {
    const chat = this.chat(chatId);
    chat.readyAt = 0;
    chat.waitingAt = 0;
    chat.generation += 1;
  }

  /**
   * Encrypts a body for the chat's group, after making the group ready.
   * Returns null while this device waits to join the group.
   */
  async encrypt(chatId: string, plaintext: string): Promise<string | null> {
    if ((await this.ready(chatId)) !== "ready") return null;
    try {
      return await encryptMessage(this.store, chatId, plaintext);
    } catch (error) {
      if (!(error instanceof MlsOperationError)) throw error;
      log("e2ee_encrypt_failed", { chatId, code: error.code });
      this.invalidate(chatId);
      return null;
    }
  }

  /**
   * Encrypts the notification preview of a message for the chat's group
   * (crypto/preview.ts), or returns undefined when this device has no
   * preview key for the chat.
   */
  sealPreview(
    chatId: string,
    messageId: string,
    text: string,
  ): Promise<string | undefined> {
    return sealPreview(this.options.db, chatId, messageId, text);
  }

  /**
   * Encrypts a body with the group state as stored, without asking the
   * server, for a send the service worker may make while no page is
   * open. Returns null when this device has no usable group for the chat.
   */
  async encryptOffline(
    chatId: string,
    plaintext: string,
  ): Promise<string | null> {
    if ((await this.store.group(chatId)) === undefined) return null;
    try {
      return await encryptMessage(this.store, chatId, plaintext);
    } catch (error) {
      if (!(error instanceof MlsOperationError)) throw error;
      return null;
    }
  }

  /** Decrypts one chat's incoming messages, as decryptIncoming describes. */
  decrypt(chatId: string, messages: StoredMessage[]): Promise<StoredMessage[]> {
    const run = async () => {
      const context = this.context();
      const result = await decryptIncoming(context, chatId, messages);
      if (result.moved) void this.retryEncrypted(chatId);
      return result.messages;
    };
    const done = this.decrypting.then(run, run);
    this.decrypting = done.catch(() => undefined);
    return done;
  }

  /**
   * Deletes the plaintexts that decryption kept for the messages, once
   * their rows store them.
   */
  async releasePlaintexts(messages: StoredMessage[]): Promise<void> {
    const ids = messages
      .filter((message) => isEncrypted(message.body))
      .map((message) => message.id);
    if (ids.length > 0) await this.store.forgetPlaintexts(ids);
  }

  /** Decrypts the bodies of every chat that waited for a commit or join. */
  async retryAll(): Promise<void> {
    const chatIds = await this.options.db.chats.toCollection().primaryKeys();
    for (const chatId of chatIds) await this.retryEncrypted(chatId);
  }

  private context() {
    return {
      options: this.options,
      store: this.store,
      join: (chatId: string) => this.keeper.joinOrRequestAdd(chatId),
      membershipChanged: (chatId: string) => this.invalidate(chatId),
      recent: this.recent,
    };
  }

  private async retryEncrypted(chatId: string): Promise<void> {
    try {
      const waiting = await encryptedRows(this.options, chatId);
      if (waiting.length === 0) return;
      await this.options.restore(chatId, waiting);
    } catch (error) {
      log("e2ee_retry_failed", { chatId, error: String(error) });
    }
  }

  private chat(chatId: string): ChatState {
    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      chat = {
        readyAt: 0,
        checking: null,
        waitingAt: 0,
        generation: 0,
        limitedUntil: 0,
      };
      this.chats.set(chatId, chat);
    }
    return chat;
  }

  /** Settles the group after a frame, then lets waiting sends go. */
  private async settle(chatId: string): Promise<void> {
    try {
      const readiness = await this.ready(chatId);
      await this.retryEncrypted(chatId);
      if (readiness === "ready") this.options.chatReady(chatId);
    } catch (error) {
      log("e2ee_settle_failed", { chatId, error: String(error) });
    }
  }

  /**
   * Checks the chat's group with the server. A check that joined or caught
   * up, for a send for example, retries the bodies held until then, which
   * no frame may ever prompt again.
   */
  private async check(chatId: string): Promise<Readiness> {
    const before = (await this.store.group(chatId))?.epoch;
    const readiness = await this.keeper.prepare(chatId);
    const after = (await this.store.group(chatId))?.epoch;
    if (after !== undefined && after !== before) {
      void this.retryEncrypted(chatId);
    }
    return readiness;
  }

  /**
   * Returns the chat's readiness, with one check in flight per chat. A
   * check that the server rate limits, such as a KeyPackage claim, leaves
   * the chat waiting without further checks until its `retryAfter` ends.
   */
  private async ready(chatId: string): Promise<Readiness> {
    const chat = this.chat(chatId);
    for (;;) {
      if (Date.now() - chat.readyAt < READY_RECHECK_MS) return "ready";
      if (Date.now() < chat.limitedUntil) return "waiting";
      if (Date.now() - chat.waitingAt < WAITING_RECHECK_MS) return "waiting";
      const generation = chat.generation;
      chat.checking ??= this.check(chatId).finally(() => {
        chat.checking = null;
      });
      let readiness: Readiness;
      try {
        readiness = await chat.checking;
      } catch (error) {
        if (!(error instanceof ApiFailure) || error.code !== "rate_limited") {
          throw error;
        }
        const retryAfter = error.retryAfter ?? 1;
        chat.limitedUntil = Date.now() + retryAfter * 1000;
        log("e2ee_group_rate_limited", { chatId, retryAfter });
        return "waiting";
      }
      if (chat.generation !== generation) continue;
      if (readiness === "ready") chat.readyAt = Date.now();
      else chat.waitingAt = Date.now();
      return readiness;
    }
  }
}
