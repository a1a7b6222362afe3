import { describe, expect, it } from "vitest";
import type { StoredMessage } from "../../../protocol/index.ts";
import { toBase64url } from "../../../pwa/src/crypto/encoding.ts";
import { toRow } from "../../../pwa/src/data/batch.ts";
import { encodeMessage, encodeNotice } from "../../../pwa/src/data/codec.ts";
import {
  MessengerDb,
  pendingMessageRow,
  type FoldRow,
} from "../../../pwa/src/data/db.ts";
import {
  ArchiveError,
  buildArchive,
  checkArchive,
  openArchive,
  sealArchive,
  sha256,
  type HistoryArchive,
} from "../../../pwa/src/e2ee/history-archive.ts";
import { importArchive } from "../../../pwa/src/e2ee/history-import.ts";
import { decryptIncoming } from "../../../pwa/src/e2ee/incoming.ts";
import type { EngineOptions, HttpClient } from "../../../pwa/src/e2ee/types.ts";
import { HistoryTransfers } from "../../../pwa/src/e2ee/history.ts";
import { ApiFailure } from "../../../pwa/src/data/types.ts";
import type { HistoryEnvelope } from "../../../protocol/history.ts";
import { MlsStore } from "../../../pwa/src/crypto/store.ts";
import {
  KeyPackageRejected,
  openKey,
  sealKey,
  signEnvelope,
  verifyEnvelope,
} from "../../../pwa/src/e2ee/history-key.ts";
import { CHAT, addAndDeliver, newDevice } from "../crypto/fixtures.ts";
import { createGroup } from "../../../pwa/src/crypto/group.ts";

const CHAT_ID = `dm_${"a".repeat(32)}`;
const ME = crypto.randomUUID();
const PEER = crypto.randomUUID();
const SENDER_DEVICE = crypto.randomUUID();
let databases = 0;

function freshDb(): MessengerDb {
  databases += 1;
  return new MessengerDb(`history-test-${databases}`);
}

function message(seq: number, body: string, id = `m${seq}`): StoredMessage {
  return {
    id,
    chatId: CHAT_ID,
    seq,
    kind: "message",
    ref: null,
    senderId: PEER,
    senderDeviceId: SENDER_DEVICE,
    body,
    ts: 1_700_000_000_000 + seq,
    deleted: false,
  };
}

function text(value: string): string {
  return encodeMessage(value);
}

/** Stores a chat with the given message rows, folds and cursor. */
async function seed(
  db: MessengerDb,
  messages: StoredMessage[],
  folds: FoldRow[] = [],
  cursor = 100,
) {
  await db.chats.put({ id: CHAT_ID } as never);
  await db.cursors.put({ chatId: CHAT_ID, seq: cursor, hasOlder: false });
  await db.messages.bulkPut(messages.map((item) => toRow(item, undefined)));
  await db.folds.bulkPut(folds);
}

function edit(seq: number, ref: string, value: string): FoldRow {
  return {
    id: `e${seq}`,
    chatId: CHAT_ID,
    seq,
    kind: "edit",
    ref,
    senderId: PEER,
    body: text(value),
    ts: 1_700_000_000_000 + seq,
    deleted: false,
  };
}

async function sampleArchive(): Promise<HistoryArchive> {
  const db = freshDb();
  await seed(
    db,
    [
      message(1, text("hello")),
      message(2, encodeNotice("before_join")),
      message(3, "mls1:AAAA"),
      message(4, text("second")),
    ],
    [edit(5, "m4", "second, edited")],
  );
  await db.messages.put(
    pendingMessageRow({
      id: "pending",
      chatId: CHAT_ID,
      senderId: ME,
      senderDeviceId: SENDER_DEVICE,
      ts: Date.now(),
      text: "not sent yet",
      replyTo: null,
      media: null,
      body: text("not sent yet"),
    }),
  );
  return buildArchive(db, SENDER_DEVICE);
}

describe("history archive", () => {
  it("carries only readable sent messages", async () => {
    const archive = await sampleArchive();
    expect(archive.chats).toHaveLength(1);
    const ids = archive.chats[0]!.messages.map((row) => row.id);
    expect(ids).toEqual(["m1", "m4"]);
    expect(archive.chats[0]!.folds.map((fold) => fold.id)).toEqual(["e5"]);
  });

  it("round-trips through seal and open", async () => {
    const archive = await sampleArchive();
    const { ciphertext, key } = await sealArchive(archive);
    expect(key).toHaveLength(32);
    const plain = new TextDecoder().decode(ciphertext);
    expect(plain).not.toContain("hello");
    expect(await openArchive(ciphertext, key)).toEqual(archive);
  });

  it("rejects another key", async () => {
    const { ciphertext } = await sealArchive(await sampleArchive());
    const wrong = crypto.getRandomValues(new Uint8Array(32));
    await expect(openArchive(ciphertext, wrong)).rejects.toThrow(
      "could not be decrypted",
    );
  });

  it("rejects tampered bytes by their hash", async () => {
    const { ciphertext } = await sealArchive(await sampleArchive());
    const envelope = {
      sha256: toBase64url(await sha256(ciphertext)),
      archiveBytes: ciphertext.length,
    };
    await expect(checkArchive(ciphertext, envelope)).resolves.toBeUndefined();
    const tampered = new Uint8Array(ciphertext);
    tampered[tampered.length - 1]! ^= 1;
    await expect(checkArchive(tampered, envelope)).rejects.toThrow(
      "does not match its hash",
    );
    const short = new Uint8Array(ciphertext.subarray(1));
    await expect(checkArchive(short, envelope)).rejects.toBeInstanceOf(
      ArchiveError,
    );
  });
});

describe("history key", () => {
  it("opens with the new device's KeyPackage", async () => {
    const sender = await newDevice();
    const target = await newDevice(sender.userId);
    const key = crypto.getRandomValues(new Uint8Array(32));
    const sealed = await sealKey(
      target.stock[0]!,
      sender.userId,
      target.deviceId,
      key,
    );
    const row = await target.db.mlsKeyPackages.get(sealed.keyPackageRef);
    expect(row).toBeDefined();
    expect(await openKey(sealed, row!, target.deviceId)).toEqual(key);
    await expect(openKey(sealed, row!, sender.deviceId)).rejects.toThrow(
      "could not be decrypted",
    );
  });

  it("rejects a KeyPackage of another user", async () => {
    const sender = await newDevice();
    const stranger = await newDevice();
    const key = new Uint8Array(32);
    await expect(
      sealKey(stranger.stock[0]!, sender.userId, stranger.deviceId, key),
    ).rejects.toBeInstanceOf(KeyPackageRejected);
  });

  it("rejects a KeyPackage of another device", async () => {
    const sender = await newDevice();
    const target = await newDevice(sender.userId);
    const other = await newDevice(sender.userId);
    const key = new Uint8Array(32);
    await expect(
      sealKey(other.stock[0]!, sender.userId, target.deviceId, key),
    ).rejects.toThrow("names another device");
  });
});

describe("history import", () => {
  it("fills notices, encrypted and missing rows", async () => {
    const archive = await sampleArchive();
    const db = freshDb();
    await seed(db, [
      message(1, encodeNotice("before_join")),
      message(4, "mls1:BBBB"),
    ]);
    const result = await importArchive(db, archive);
    expect(result.written).toBe(3);
    expect((await db.messages.get("m1"))?.text).toBe("hello");
    const edited = await db.messages.get("m4");
    expect(edited?.text).toBe("second, edited");
    expect(edited?.editedAt).not.toBeNull();
  });

  it("never overwrites a readable row", async () => {
    const archive = await sampleArchive();
    const db = freshDb();
    await seed(db, [message(1, text("local copy"))]);
    await importArchive(db, archive);
    expect((await db.messages.get("m1"))?.text).toBe("local copy");
  });

  it("leaves rows above the cursor out", async () => {
    const archive = await sampleArchive();
    const db = freshDb();
    await seed(db, [], [], 2);
    const result = await importArchive(db, archive);
    expect(await db.messages.get("m1")).toBeDefined();
    expect(await db.messages.get("m4")).toBeUndefined();
    expect(result.later).toBe(2);
    expect(result.kept).toBe(0);
  });

  it("ignores rows of another chat", async () => {
    const archive = await sampleArchive();
    archive.chats[0]!.messages[0]!.chatId = `dm_${"b".repeat(32)}`;
    const db = freshDb();
    await seed(db, []);
    await importArchive(db, archive);
    expect(await db.messages.get("m1")).toBeUndefined();
  });

  it("keeps imported text over a later server copy", async () => {
    const archive = await sampleArchive();
    const db = freshDb();
    await seed(db, [message(1, encodeNotice("before_join"))]);
    await importArchive(db, archive);
    const context = {
      options: { db, deviceId: crypto.randomUUID() } as EngineOptions,
      store: new MlsStore(db),
      join: () => Promise.resolve(false),
      membershipChanged: () => {},
      recent: new Map<string, string>(),
    };
    const result = await decryptIncoming(context, CHAT_ID, [
      message(1, "mls1:CCCC"),
    ]);
    expect(result.messages[0]?.body).toBe(text("hello"));
  });
});

/**
 * Makes two devices of one person in one MLS group: the new device
 * (`target`) and one that sends it the history (`uploader`).
 */
async function linkedPair() {
  const target = await newDevice();
  const uploader = await newDevice(target.userId);
  await createGroup(uploader.store, uploader.identity, CHAT);
  await addAndDeliver(uploader, [uploader], [target]);
  return { target, uploader };
}

/** Records the uploader's requests and replies as the server would. */
function uploadServer(keyPackage: string, putFailure?: ApiFailure) {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  const http = (async (method: string, path: string, _schema, body) => {
    calls.push({ method, path, body });
    if (path === "/keys/own/claim") return { keyPackage };
    if (method === "PUT" && putFailure !== undefined) throw putFailure;
    return undefined;
  }) as HttpClient;
  return { calls, http };
}

function uploaderOptions(
  db: MessengerDb,
  userId: string,
  http: HttpClient,
  deviceId: string = SENDER_DEVICE,
): EngineOptions {
  return {
    db,
    userId,
    deviceId,
    http,
    requestNewest: () => {},
    restore: () => Promise.resolve(),
    chatReady: () => {},
  };
}

describe("history upload", () => {
  it("sends an archive the target opens", async () => {
    const { target, uploader } = await linkedPair();
    await seed(uploader.db, [message(1, text("hello"))]);
    const server = uploadServer(target.stock[0]!);
    const transfers = new HistoryTransfers(
      uploaderOptions(
        uploader.db,
        target.userId,
        server.http,
        uploader.deviceId,
      ),
    );
    await transfers.send(target.deviceId);

    const paths = server.calls.map((call) => `${call.method} ${call.path}`);
    const base = `/devices/${target.deviceId}/history`;
    expect(paths).toEqual([
      "POST /keys/own/claim",
      `PUT ${base}/archive`,
      `POST ${base}`,
    ]);
    const blob = server.calls[1]!.body as Blob;
    const ciphertext = new Uint8Array(await blob.arrayBuffer());
    const envelope = server.calls[2]!.body as HistoryEnvelope;
    await verifyEnvelope(
      target.db,
      envelope,
      target.userId,
      uploader.deviceId,
      target.deviceId,
    );
    await checkArchive(ciphertext, envelope);
    const row = await target.db.mlsKeyPackages.get(envelope.keyPackageRef);
    const key = await openKey(envelope, row!, target.deviceId);
    const archive = await openArchive(ciphertext, key);
    expect(archive.fromDeviceId).toBe(uploader.deviceId);
    expect(archive.chats[0]?.messages[0]?.body).toBe(text("hello"));
  });

  it("signs the envelope for its devices", async () => {
    const { target, uploader } = await linkedPair();
    const stranger = await newDevice(target.userId);
    await seed(uploader.db, [message(1, text("hello"))]);
    const server = uploadServer(target.stock[0]!);
    const transfers = new HistoryTransfers(
      uploaderOptions(
        uploader.db,
        target.userId,
        server.http,
        uploader.deviceId,
      ),
    );
    await transfers.send(target.deviceId);
    const envelope = server.calls[2]!.body as HistoryEnvelope;
    const verify = (
      candidate: HistoryEnvelope,
      fromDeviceId = uploader.deviceId,
    ) =>
      verifyEnvelope(
        target.db,
        candidate,
        target.userId,
        fromDeviceId,
        target.deviceId,
      );

    const otherHash = { ...envelope, sha256: toBase64url(new Uint8Array(32)) };
    await expect(verify(otherHash)).rejects.toThrow("signature is invalid");
    // Signed by a device that shares no group with the target.
    const forged = await signEnvelope(
      envelope,
      stranger.identity.signaturePrivateKey,
      stranger.deviceId,
      target.deviceId,
    );
    await expect(verify(forged, stranger.deviceId)).rejects.toThrow(
      "in none of this device's chats",
    );
    // The stranger's signature under the uploader's name.
    const borrowed = { ...forged, signature: forged.signature };
    await expect(verify(borrowed)).rejects.toThrow("signature is invalid");
  });

  it("stops after a conflict", async () => {
    const { target, uploader } = await linkedPair();
    await seed(uploader.db, [message(1, text("hello"))]);
    const conflict = new ApiFailure("conflict", "Not waiting.", 409);
    const server = uploadServer(target.stock[0]!, conflict);
    const transfers = new HistoryTransfers(
      uploaderOptions(
        uploader.db,
        target.userId,
        server.http,
        uploader.deviceId,
      ),
    );
    await Promise.all([
      transfers.send(target.deviceId),
      transfers.send(target.deviceId),
    ]);
    expect(server.calls.filter((call) => call.method === "PUT")).toHaveLength(
      1,
    );
    await transfers.send(target.deviceId);
    expect(server.calls).toHaveLength(2);
  });
});
