/**
 * How many leading bytes of an encoded frame stay unencrypted. These are
 * the codec header bytes that the sender's packetizer, an SFU and the
 * receiver's depacketizer read, the same split as the WebRTC
 * insertable-streams end-to-end encryption samples use:
 *
 * - VP8: 10 bytes of a keyframe (the 3-byte frame tag, the start code and
 *   the frame size) and the 3-byte frame tag of a delta frame (RFC 6386,
 *   9.1). The receiver learns from the tag whether a frame is a keyframe.
 * - Opus: the TOC byte (RFC 6716, 3.1);
 * - every other codec: none, so the whole frame is encrypted.
 *
 * NOTE: H.264 and AV1 packetizers parse NAL units or OBUs in the frame, so
 * a fully encrypted frame of those codecs does not survive packetization.
 * Chromium offers VP8 first and the calls do not change that, but a peer
 * that prefers H.264 would get undecodable video.
 */

/** The media kind of an encoded frame. */
export type FrameKind = "audio" | "video";

const VP8_KEYFRAME_CLEAR_BYTES = 10;
const VP8_DELTA_CLEAR_BYTES = 3;
const OPUS_CLEAR_BYTES = 1;

/**
 * Returns the clear byte count of a frame. `mimeType` comes from the
 * frame's metadata; when it is missing, video counts as VP8 and audio as
 * Opus, the codecs Chromium negotiates first.
 */
export function clearByteCount(
  kind: FrameKind,
  mimeType: string | undefined,
  keyFrame: boolean,
): number {
  const codec = (mimeType ?? "").toLowerCase();
  if (kind === "video") {
    if (codec !== "" && codec !== "video/vp8") return 0;
    return keyFrame ? VP8_KEYFRAME_CLEAR_BYTES : VP8_DELTA_CLEAR_BYTES;
  }
  if (codec !== "" && codec !== "audio/opus") return 0;
  return OPUS_CLEAR_BYTES;
}
