// An opt-in check, for tests, that forwarded video is SFrame-encrypted
// (RFC 9605) the way the messenger's calls encrypt it: each VP8 frame
// keeps its first 10 bytes (keyframe) or 3 bytes (delta frame) in clear,
// and an SFrame header follows. The SFU reads the KID and CTR of that
// header in the first packet of every frame. Encrypted frames of one
// sender use a few KIDs, each with a growing CTR. Plaintext VP8 has
// entropy-coded data there instead, which parses as a new KID almost
// every frame, so plaintext fails the check.
//
// A frame counts once, in RTP timestamp order. A first packet whose
// timestamp is not after that of the last frame counted is skipped,
// because it arrived out of order or is a retransmission after a NACK
// (RFC 4585). The SFU offers no RTX, so a sender resends the packet
// unchanged on the media SSRC. Counted, such a packet would repeat or
// lower the CTR of a frame that was encrypted correctly. Padding-only
// packets have an empty payload once werift removes the padding, so
// they never start a frame.
//
// Turned on by `--payload-check` or SFU_PAYLOAD_CHECK=1; the results are
// served at GET /v1/apps/{appId}/payload-check.
import { decodeHeader } from "../../pwa/src/calls/e2ee/sframe.ts";

/** Counts of the check for one published video track. */
export interface TrackPayloads {
  sessionId: string;
  trackName: string;
  /** Frames whose first packet was seen. */
  frames: number;
  keyframes: number;
  /** Distinct KIDs found where the SFrame header should be. */
  kids: number;
  /** Frames whose CTR is above the previous frame's of the same KID. */
  growingCtr: number;
  /** First packets skipped as retransmitted or out of order. */
  skipped: number;
}

/** The fields of a forwarded RTP packet that the check reads. */
export interface VideoPacket {
  /** RTP timestamp, the same for every packet of one frame. */
  timestamp: number;
  payload: Uint8Array;
}

const VP8_KEYFRAME_CLEAR_BYTES = 10;
const VP8_DELTA_CLEAR_BYTES = 3;

/**
 * Returns the offset of the VP8 payload after the payload descriptor of
 * RFC 7741, 4.2, or null when the packet does not start a frame.
 */
export function vp8FrameStart(payload: Uint8Array): number | null {
  const first = payload[0];
  if (first === undefined) return null;
  const startOfPartition = (first & 0x10) !== 0;
  const partitionIndex = first & 0x07;
  if (!startOfPartition || partitionIndex !== 0) return null;
  let offset = 1;
  if ((first & 0x80) !== 0) {
    const extension = payload[offset++] ?? 0;
    if ((extension & 0x80) !== 0) {
      // PictureID: 15 bits when its first bit (M) is set, else 7.
      offset += ((payload[offset] ?? 0) & 0x80) !== 0 ? 2 : 1;
    }
    if ((extension & 0x40) !== 0) offset += 1;
    if ((extension & 0x30) !== 0) offset += 1;
  }
  return offset < payload.length ? offset : null;
}

/**
 * Returns whether RTP timestamp `next` is after `last`, allowing for
 * wrap-around at 2^32 (RFC 3550, 5.1): a difference under 2^31 is later.
 */
export function isLaterTimestamp(next: number, last: number): boolean {
  const difference = (next - last + 2 ** 32) % 2 ** 32;
  return difference !== 0 && difference < 2 ** 31;
}

class TrackCheck {
  frames = 0;
  keyframes = 0;
  growingCtr = 0;
  skipped = 0;
  private readonly lastCtr = new Map<number, number>();
  private lastTimestamp: number | null = null;

  observe({ timestamp, payload }: VideoPacket): void {
    const start = vp8FrameStart(payload);
    if (start === null) return;
    if (
      this.lastTimestamp !== null &&
      !isLaterTimestamp(timestamp, this.lastTimestamp)
    ) {
      this.skipped += 1;
      return;
    }
    this.lastTimestamp = timestamp;
    // Bit 0 of the VP8 frame tag is 0 for a keyframe (RFC 6386, 9.1).
    const keyframe = ((payload[start] ?? 0) & 0x01) === 0;
    const clear = keyframe ? VP8_KEYFRAME_CLEAR_BYTES : VP8_DELTA_CLEAR_BYTES;
    this.frames += 1;
    if (keyframe) this.keyframes += 1;
    const header = decodeHeader(payload, start + clear);
    if (header === null) return;
    const last = this.lastCtr.get(header.kid);
    if (last !== undefined && header.ctr > last) this.growingCtr += 1;
    this.lastCtr.set(header.kid, header.ctr);
  }

  get kids(): number {
    return this.lastCtr.size;
  }
}

const tracks = new Map<
  string,
  TrackCheck & { sessionId: string; trackName: string }
>();
let enabled = false;

export function enablePayloadCheck(): void {
  enabled = true;
}

export function payloadCheckEnabled(): boolean {
  return enabled;
}

/** Inspects one forwarded RTP packet of a video track, when enabled. */
export function observeVideoPacket(
  sessionId: string,
  trackName: string,
  packet: VideoPacket,
): void {
  if (!enabled) return;
  const key = `${sessionId}/${trackName}`;
  let check = tracks.get(key);
  if (check === undefined) {
    check = Object.assign(new TrackCheck(), { sessionId, trackName });
    tracks.set(key, check);
  }
  check.observe(packet);
}

/** Returns the results of every video track seen so far. */
export function payloadReport(): TrackPayloads[] {
  return [...tracks.values()].map((check) => ({
    sessionId: check.sessionId,
    trackName: check.trackName,
    frames: check.frames,
    keyframes: check.keyframes,
    kids: check.kids,
    growingCtr: check.growingCtr,
    skipped: check.skipped,
  }));
}
