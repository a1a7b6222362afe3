import type { StoredMessage } from "../../../protocol/index.ts";
import {
  KEY_PACKAGE_STOCK,
  type CommitBody,
  type CommitEvent,
  type GroupDevice,
  type GroupStatus,
  type PendingWelcome,
} from "../../../protocol/mls.ts";
import { ApiFailure } from "../../../pwa/src/data/types.ts";
import type { HttpClient } from "../../../pwa/src/e2ee/index.ts";

const key = (device: GroupDevice) => `${device.userId}.${device.deviceId}`;

/** One chat as the ChatRoom keeps it: members, MLS group and log. */
export class FakeRoom {
  epoch = 0;
  commitSeq = 0;
  readonly log: StoredMessage[] = [];
  /** Active devices of the chat's members. */
  readonly devices: GroupDevice[] = [];
  readonly inGroup = new Set<string>();
  readonly stale = new Set<string>();
  readonly welcomes = new Map<string, PendingWelcome>();
  readonly addRequests: Array<{ device: GroupDevice; reset: boolean }> = [];
  /** Runs once before the next commit is checked, to let another win. */
  beforeNextCommit: (() => Promise<void>) | null = null;

  constructor(readonly chatId: string) {}

  append(message: Omit<StoredMessage, "seq" | "chatId" | "ts">): number {
    const seq = this.log.length + 1;
    this.log.push({ ...message, seq, chatId: this.chatId, ts: 1000 + seq });
    return seq;
  }

  status(device: GroupDevice): GroupStatus {
    const devices = this.devices.filter((d) => this.inGroup.has(key(d)));
    return {
      epoch: this.epoch,
      commitSeq: this.commitSeq,
      devices,
      missing: this.devices.filter((d) => !this.inGroup.has(key(d))),
      stale: devices.filter((d) => this.stale.has(key(d))),
      inGroup: this.inGroup.has(key(device)),
      welcome: this.welcomes.get(key(device)) ?? null,
    };
  }

  async commit(device: GroupDevice, body: CommitBody) {
    const hook = this.beforeNextCommit;
    this.beforeNextCommit = null;
    if (hook !== null) await hook();
    if (body.epoch !== this.epoch) {
      throw new ApiFailure(
        "stale_epoch",
        `The commit was made at epoch ${body.epoch} but the group is at epoch ${this.epoch}.`,
        409,
        "epoch",
      );
    }
    const event: CommitEvent = {
      epoch: body.epoch,
      commit: body.commit,
      committer: device,
      added: body.added,
      removed: body.removed,
    };
    this.commitSeq = this.append({
      id: crypto.randomUUID(),
      kind: "commit",
      ref: null,
      senderId: device.userId,
      senderDeviceId: device.deviceId,
      body: JSON.stringify(event),
      deleted: false,
    });
    this.epoch += 1;
    this.inGroup.add(key(device));
    for (const removed of body.removed) {
      this.inGroup.delete(key(removed));
      this.stale.delete(key(removed));
      this.welcomes.delete(key(removed));
    }
    for (const added of body.added) {
      this.inGroup.add(key(added));
      this.welcomes.set(key(added), {
        epoch: this.epoch,
        welcome: body.welcome!,
        ratchetTree: body.ratchetTree!,
      });
    }
    return { epoch: this.epoch, seq: this.commitSeq };
  }
}

/**
 * The HTTP routes of KeyPackages and MLS groups, kept in memory, with the
 * behaviour the server's tests pin down.
 */
export class FakeServer {
  readonly rooms = new Map<string, FakeRoom>();
  readonly stock = new Map<string, string[]>();
  readonly lastResort = new Map<string, string>();
  /** Claim requests received, rejected ones included. */
  claims = 0;
  /** When set, claims get `rate_limited` with this `retryAfter` in s. */
  claimRetryAfter: number | null = null;

  room(chatId: string): FakeRoom {
    let room = this.rooms.get(chatId);
    if (room === undefined) {
      room = new FakeRoom(chatId);
      this.rooms.set(chatId, room);
    }
    return room;
  }

  /** Returns the HTTP client of one device. */
  client({ userId, deviceId }: GroupDevice): HttpClient {
    const device = { userId, deviceId };
    return async <T>(
      method: string,
      path: string,
      _s: unknown,
      body?: unknown,
    ) => (await this.route(device, `${method} ${path}`, body)) as T;
  }

  private async route(device: GroupDevice, route: string, body: unknown) {
    const stock = this.stock.get(key(device)) ?? [];
    this.stock.set(key(device), stock);
    if (route === "GET /keys" || route === "POST /keys") {
      if (route === "POST /keys") {
        const publish = body as { keyPackages: string[]; lastResort?: string };
        if (stock.length + publish.keyPackages.length > KEY_PACKAGE_STOCK) {
          throw new ApiFailure("too_large", "Too many KeyPackages.", 413);
        }
        stock.push(...publish.keyPackages);
        if (publish.lastResort !== undefined) {
          this.lastResort.set(key(device), publish.lastResort);
        }
      }
      return {
        stock: stock.length,
        lastResort: this.lastResort.has(key(device)),
      };
    }
    const match = /^(GET|POST) \/chats\/([^/]+)\/mls(?:\/(.*))?$/.exec(route);
    if (match === null) throw new Error(`no fake route for ${route}`);
    const room = this.room(match[2]!);
    switch (match[3]) {
      case undefined:
        return room.status(device);
      case "claim":
        return this.claim((body as { devices: GroupDevice[] }).devices);
      case "commit":
        return room.commit(device, body as CommitBody);
      case "request-add": {
        const { reset } = body as { reset: boolean };
        room.addRequests.push({ device, reset });
        if (reset && room.inGroup.has(key(device))) room.stale.add(key(device));
        return undefined;
      }
      default:
        throw new Error(`no fake route for ${route}`);
    }
  }

  private claim(devices: GroupDevice[]) {
    this.claims += 1;
    if (this.claimRetryAfter !== null) {
      throw new ApiFailure(
        "rate_limited",
        "Too many KeyPackage claims.",
        429,
        undefined,
        this.claimRetryAfter,
      );
    }
    const keyPackages = [];
    const unavailable = [];
    for (const device of devices) {
      const keyPackage =
        this.stock.get(key(device))?.shift() ??
        this.lastResort.get(key(device));
      if (keyPackage === undefined) unavailable.push(device);
      else keyPackages.push({ ...device, keyPackage });
    }
    return { keyPackages, unavailable };
  }
}
