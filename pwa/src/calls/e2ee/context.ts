import {
  decodeHeader,
  deriveSframeKey,
  openFrame,
  sealFrame,
  TAG_BYTES,
  type SframeKey,
} from "./sframe.ts";

/**
 * The SFrame state of one end: the sender's current key with a frame
 * counter per KID, and the receiver's keys by KID. Both run in the
 * transform worker; they are plain classes so unit tests can drive them.
 */

/** How long a replaced receive key still decrypts, in ms. */
export const RETIRED_KEY_GRACE_MS = 5_000;

/** Encrypts outgoing frames with the current send key. */
export class SframeSender {
  private current: SframeKey | null = null;
  /**
   * Next CTR per KID. Entries are never dropped, so setting a KID again,
   * even with another base key, continues its counter: a (key, nonce)
   * pair is never used twice.
   */
  private readonly counters = new Map<number, number>();

  /** `firstCounter` returns the CTR of a KID's first frame. */
  constructor(private readonly firstCounter: () => number = () => 0) {}

  get kid(): number | null {
    return this.current?.kid ?? null;
  }

  /** Derives and switches to the key of `kid`; later frames use it. */
  async setKey(kid: number, baseKey: Uint8Array): Promise<void> {
    this.current = await deriveSframeKey(kid, baseKey);
  }

  /**
   * Encrypts a frame whose first `clearLength` bytes stay in clear.
   * Returns null when no send key is set.
   */
  async encrypt(
    frame: Uint8Array,
    clearLength: number,
  ): Promise<Uint8Array | null> {
    const key = this.current;
    if (key === null) return null;
    // Taken before the first await, so concurrent calls get distinct CTRs.
    const ctr = this.counters.get(key.kid) ?? this.firstCounter();
    if (ctr >= Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`SFrame CTR of KID ${key.kid} is used up.`);
    }
    this.counters.set(key.kid, ctr + 1);
    const clear = frame.subarray(0, Math.min(clearLength, frame.length));
    return sealFrame(key, ctr, clear, frame.subarray(clear.length));
  }
}

/** The outcome of decrypting one frame. */
export type OpenResult =
  | { kind: "ok"; data: Uint8Array }
  | { kind: "unknown_kid"; kid: number }
  | { kind: "failed" };

interface ReceiveKey {
  key: SframeKey;
  /** Time after which the key is dropped, in ms; null while current. */
  expiresAt: number | null;
}

/** Decrypts incoming frames with the key their header names. */
export class SframeReceiver {
  private readonly keys = new Map<number, ReceiveKey>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds the receive key of `kid`, or replaces it. */
  async addKey(kid: number, baseKey: Uint8Array): Promise<void> {
    const key = await deriveSframeKey(kid, baseKey);
    this.keys.set(kid, { key, expiresAt: null });
  }

  /**
   * Keeps `kid` for `graceMs` more, for frames that were sent before the
   * sender switched to its next key, then drops it.
   */
  retireKey(kid: number, graceMs = RETIRED_KEY_GRACE_MS): void {
    const entry = this.keys.get(kid);
    if (entry === undefined || entry.expiresAt !== null) return;
    entry.expiresAt = this.now() + graceMs;
  }

  /** Drops `kid` at once. */
  removeKey(kid: number): void {
    this.keys.delete(kid);
  }

  hasKey(kid: number): boolean {
    return this.lookup(kid) !== undefined;
  }

  private lookup(kid: number): SframeKey | undefined {
    const entry = this.keys.get(kid);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== null && this.now() >= entry.expiresAt) {
      this.keys.delete(kid);
      return undefined;
    }
    return entry.key;
  }

  /**
   * Decrypts a frame whose first `clearLength` bytes are in clear. A
   * frame too short for a header and tag, or that fails authentication,
   * is "failed"; a KID without a key is "unknown_kid".
   */
  async decrypt(frame: Uint8Array, clearLength: number): Promise<OpenResult> {
    const header = decodeHeader(frame, clearLength);
    if (header === null) return { kind: "failed" };
    if (frame.length < clearLength + header.length + TAG_BYTES) {
      return { kind: "failed" };
    }
    const key = this.lookup(header.kid);
    if (key === undefined) return { kind: "unknown_kid", kid: header.kid };
    try {
      return {
        kind: "ok",
        data: await openFrame(key, frame, clearLength, header),
      };
    } catch {
      return { kind: "failed" };
    }
  }
}
